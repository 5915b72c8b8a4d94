// The one build script: bundles the CLI, the runner (process host and worker thread), the
// language server, the VS Code client and the dashboard page, and emits the `rl-playground`
// runtime's type declarations.
import * as esbuild from "esbuild";
import ts from "typescript";
import { rmSync } from "node:fs";

const watch = process.argv.includes("--watch");
const production = process.argv.includes("--production");

/** Native and wasm-loading packages stay in node_modules; everything else is bundled. */
const external = ["@tensorflow/tfjs", "@tensorflow/tfjs-node", "@tensorflow/tfjs-backend-wasm", "esbuild", "typescript"];

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  sourcemap: true,
  minify: production,
  external,
  logLevel: "info",
};

const builds = [
  {
    ...common,
    entryPoints: {
      cli: "server/src/cli.ts",
      runnerHost: "server/src/sandbox/runnerHost.ts",
      worker: "server/src/sandbox/worker.ts",
      server: "server/src/lsp/main.ts",
    },
    outdir: "dist",
  },
  {
    ...common,
    entryPoints: { extension: "client/src/extension.ts" },
    external: ["vscode"],
    outdir: "dist",
  },
  {
    bundle: true,
    platform: "browser",
    target: "chrome120",
    format: "iife",
    sourcemap: true,
    minify: production,
    logLevel: "info",
    entryPoints: { main: "webview/src/main.ts" },
    outdir: "dist/webview",
  },
];

function emitRuntimeTypes() {
  const program = ts.createProgram(["server/src/runtime/index.ts"], {
    declaration: true,
    emitDeclarationOnly: true,
    outDir: "dist/types",
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    target: ts.ScriptTarget.ES2022,
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
    ignoreDeprecations: "6.0",
  });
  const result = program.emit();
  const errors = ts
    .getPreEmitDiagnostics(program)
    .concat(result.diagnostics)
    .filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (errors.length) {
    console.error(
      ts.formatDiagnostics(errors, { getCanonicalFileName: (f) => f, getCurrentDirectory: () => process.cwd(), getNewLine: () => "\n" }),
    );
    process.exit(1);
  }
}

rmSync("dist", { recursive: true, force: true });
if (watch) {
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  emitRuntimeTypes();
}
