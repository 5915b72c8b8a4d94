// The one build script: bundles the CLI, the runner (process host and worker thread), the
// language server, the VS Code client and the dashboard page, and emits the `rl-playground`
// runtime's type declarations. Everything the server and the runner need at run time ends up
// in dist/ (bundles, tfjs' wasm binaries, esbuild's native binary), so dist/ works without
// node_modules: that is what the .vsix ships.
import * as esbuild from "esbuild";
import ts from "typescript";
import { chmodSync, copyFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import * as os from "node:os";
import * as path from "node:path";

const watch = process.argv.includes("--watch");
/** `--vsix` (npm run package): a production build staged in a private folder, packaged there with vsce. */
const vsix = process.argv.includes("--vsix");
const production = vsix || process.argv.includes("--production");
/** The staging folder keeps the package whole while other builds rewrite ./dist. */
const root = vsix ? mkdtempSync(path.join(os.tmpdir(), "rl-playground-vsix-")) : ".";
const DIST = path.join(root, "dist");

/**
 * Only tfjs-node stays outside: it is resolved from the user's workspace (design §7), never
 * shipped. tfjs, its wasm backend, TypeScript and esbuild's JavaScript API are bundled; the
 * binaries they load at run time are copied next to the bundles by `copyRuntimeBinaries`.
 */
const external = ["@tensorflow/tfjs-node"];

const common = {
  bundle: true,
  platform: "node",
  target: "node20",
  format: "cjs",
  sourcemap: true,
  minify: production,
  external,
  logLevel: "info",
  // esbuild's API warns that it cannot be bundled; it can, given ESBUILD_BINARY_PATH (sandbox/esbuildLoader.ts).
  logOverride: { "require-resolve-not-external": "silent" },
};

/**
 * The language server loads the TypeScript compiler on its first parse, not at start-up: in its
 * bundle `typescript` resolves to a lazy module that requires dist/typescript.js, a bundle of its own.
 */
const lazyTypescript = {
  name: "lazy-typescript",
  setup(build) {
    build.onResolve({ filter: /^typescript$/ }, () => ({ path: path.resolve("server/src/lsp/lazyTypescript.ts") }));
  },
};

const builds = [
  {
    ...common,
    entryPoints: {
      cli: "server/src/cli.ts",
      runnerProcess: "server/src/sandbox/processMain.ts",
      runnerThread: "server/src/sandbox/threadMain.ts",
      // The Python package's environments (python/): one per Gymnasium (vector) environment.
      "gym-bridge": "server/src/gymBridge.ts",
    },
    outdir: DIST,
  },
  {
    ...common,
    // "Debug failing episode": the program the debug session runs (user code in the debugger, not a
    // runner). Not minified: its frames sit under the user's in the call stack, named as written.
    minify: false,
    entryPoints: { debugReplay: "server/src/debugReplay.ts" },
    outdir: DIST,
  },
  {
    ...common,
    entryPoints: { server: "server/src/lsp/main.ts" },
    plugins: [lazyTypescript],
    outdir: DIST,
  },
  { ...common, sourcemap: false, entryPoints: { typescript: createRequire(import.meta.url).resolve("typescript") }, outdir: DIST },
  {
    ...common,
    entryPoints: { extension: "client/src/extension.ts" },
    external: ["vscode"],
    outdir: DIST,
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
    outdir: path.join(DIST, "webview"),
  },
];

function emitRuntimeTypes() {
  const program = ts.createProgram(["server/src/runtime/index.ts"], {
    declaration: true,
    emitDeclarationOnly: true,
    outDir: path.join(DIST, "types"),
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

/**
 * tfjs-backend-wasm's binaries go next to the bundles (rl/backend.ts points setWasmPaths
 * there); esbuild's native binary for this platform goes to dist/bin/ (sandbox/esbuildLoader.ts
 * finds it there). esbuild's binary is per platform, so the .vsix is too (`vsce --target`).
 */
function copyRuntimeBinaries() {
  const require = createRequire(import.meta.url);
  const wasmDir = path.dirname(require.resolve("@tensorflow/tfjs-backend-wasm"));
  for (const name of ["tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm", "tfjs-backend-wasm-threaded-simd.wasm"])
    copyFileSync(path.join(wasmDir, name), path.join(DIST, name));
  const exe = process.platform === "win32" ? "esbuild.exe" : "esbuild";
  const binary =
    process.platform === "win32"
      ? require.resolve(`@esbuild/${process.platform}-${process.arch}/${exe}`)
      : require.resolve(`@esbuild/${process.platform}-${process.arch}/bin/${exe}`);
  mkdirSync(path.join(DIST, "bin"), { recursive: true });
  copyFileSync(binary, path.join(DIST, "bin", exe));
  chmodSync(path.join(DIST, "bin", exe), 0o755);
}

/** The TypeScript server plugin's package name (package.json `contributes.typescriptServerPlugins`). */
const TS_PLUGIN = "rl-playground-ts-plugin";

/**
 * The TypeScript server plugin as a package under the staged node_modules/, where VS Code's
 * TypeScript server looks for it: its bundle (TypeScript itself comes from the server that
 * loads it), the runtime's typings next to it, and a package.json. vsce leaves node_modules
 * out when dependencies are off, so the staged manifest names the plugin as its one dependency
 * (everything else is bundled) and vsce collects it through `npm list`.
 */
async function stageTsPlugin() {
  const dir = path.join(root, "node_modules", TS_PLUGIN);
  await esbuild.build({ ...common, sourcemap: false, entryPoints: { index: "client/tsPlugin/index.ts" }, outdir: dir });
  mkdirSync(path.join(dir, "types"), { recursive: true });
  copyFileSync(path.join(DIST, "types", "index.d.ts"), path.join(dir, "types", "index.d.ts"));
  const manifest = JSON.parse(readFileSync("package.json", "utf8"));
  const plugin = { name: TS_PLUGIN, version: manifest.version, private: true, main: "index.js", license: manifest.license };
  writeFileSync(path.join(dir, "package.json"), JSON.stringify(plugin, null, 2) + "\n");
  const staged = { ...manifest, dependencies: { [TS_PLUGIN]: manifest.version } };
  delete staged.devDependencies;
  writeFileSync(path.join(root, "package.json"), JSON.stringify(staged, null, 2) + "\n");
}

/**
 * rl-playground.vsix for this platform (esbuild's binary is per platform), from the staged
 * build; `.vscodeignore` (an allowlist) picks the files.
 */
async function packageVsix() {
  for (const file of ["package.json", "README.md", "LICENSE", ".vscodeignore", "bin/rl-playground.js", "templates"])
    cpSync(file, path.join(root, file), { recursive: true });
  await stageTsPlugin();
  const { createVSIX } = createRequire(import.meta.url)("@vscode/vsce");
  try {
    await createVSIX({
      cwd: root,
      dependencies: true,
      useYarn: false,
      target: `${process.platform}-${process.arch}`,
      packagePath: path.resolve("rl-playground.vsix"),
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

rmSync(DIST, { recursive: true, force: true });
if (watch) {
  mkdirSync(DIST, { recursive: true });
  copyRuntimeBinaries();
  for (const b of builds) await (await esbuild.context(b)).watch();
} else {
  await Promise.all(builds.map((b) => esbuild.build(b)));
  copyRuntimeBinaries();
  emitRuntimeTypes();
  if (vsix) await packageVsix();
}
