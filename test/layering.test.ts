/**
 * The layering rules, checked from the code (every import and re-export, type-only ones
 * included: a type cycle is a design cycle):
 *
 *  - client/ and webview/ share only `protocol.ts`: neither imports the other, the page imports
 *    nothing else of the server, and the client only `lspMethods.ts` besides (the custom LSP
 *    methods, which themselves import only `protocol.ts`);
 *  - lsp/ and cli.ts reach the engine only through `api.ts` (and `protocol.ts`);
 *  - rl/ (the math) imports nothing from sandbox/, check/, engine/ or lsp/;
 *  - no import cycles anywhere;
 *  - the language server's bundle holds no TensorFlow.js (only runner processes load it).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import ts from "typescript";
import * as esbuild from "esbuild";
import { ROOT } from "./helpers";

const SOURCES = ["server/src", "client/src", "webview/src"];

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const entry of fs.readdirSync(path.join(ROOT, dir), { withFileTypes: true })) {
    const rel = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) out.push(...sourceFiles(rel));
    else if (/\.ts$/.test(entry.name) && !entry.name.endsWith(".d.ts")) out.push(rel);
  }
  return out;
}

/** Every file's imports of other source files (relative specifiers, resolved). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of SOURCES.flatMap(sourceFiles)) {
    const info = ts.preProcessFile(fs.readFileSync(path.join(ROOT, file), "utf8"), true, true);
    const targets: string[] = [];
    for (const { fileName } of info.importedFiles) {
      if (!fileName.startsWith(".")) continue;
      const base = path.posix.normalize(path.posix.join(path.posix.dirname(file), fileName));
      const resolved = [`${base}.ts`, `${base}/index.ts`, base].find(
        (f) => fs.existsSync(path.join(ROOT, f)) && fs.statSync(path.join(ROOT, f)).isFile(),
      );
      if (resolved) targets.push(resolved);
    }
    graph.set(file, targets);
  }
  return graph;
}

const graph = importGraph();
const violations = (rule: (from: string, to: string) => boolean) =>
  [...graph].flatMap(([from, tos]) => tos.filter((to) => rule(from, to)).map((to) => `${from} -> ${to}`));

test("webview/ imports nothing from the server but protocol.ts", () => {
  assert.deepEqual(
    violations((from, to) => from.startsWith("webview/") && to.startsWith("server/") && to !== "server/src/protocol.ts"),
    [],
  );
});

test("client/ imports nothing from the server but protocol.ts and the LSP methods", () => {
  const allowed = new Set(["server/src/protocol.ts", "server/src/lspMethods.ts"]);
  assert.deepEqual(
    violations((from, to) => from.startsWith("client/") && to.startsWith("server/") && !allowed.has(to)),
    [],
  );
  assert.deepEqual(
    violations((from, to) => from === "server/src/lspMethods.ts" && to !== "server/src/protocol.ts"),
    [],
  );
});

test("client/ and webview/ import nothing from each other", () => {
  assert.deepEqual(
    violations(
      (from, to) => (from.startsWith("client/") && to.startsWith("webview/")) || (from.startsWith("webview/") && to.startsWith("client/")),
    ),
    [],
  );
});

test("the dashboard page's bundle holds no vscode-jsonrpc, and protocol.ts imports only valibot and the runtime's types", async () => {
  const r = await esbuild.build({
    entryPoints: [path.join(ROOT, "webview/src/main.ts")],
    bundle: true,
    platform: "browser",
    format: "iife",
    write: false,
    metafile: true,
    outfile: "main.js",
    logLevel: "silent",
  });
  const lsp = Object.keys(r.metafile.inputs).filter((i) => /vscode-(jsonrpc|languageserver|languageclient)/.test(i));
  assert.deepEqual(lsp, []);
  const info = ts.preProcessFile(fs.readFileSync(path.join(ROOT, "server/src/protocol.ts"), "utf8"), true, true);
  assert.deepEqual(info.importedFiles.map((f) => f.fileName).sort(), ["./runtime/index", "./runtime/index", "valibot"]);
});

test("lsp/ and cli.ts reach the engine only through api.ts", () => {
  assert.deepEqual(
    violations(
      (from, to) =>
        (from.startsWith("server/src/lsp/") || from === "server/src/cli.ts") &&
        /^server\/src\/(rl|sandbox|check|engine|runtime)\//.test(to),
    ),
    [],
  );
});

test("rl/ imports nothing from sandbox/, check/, engine/ or lsp/", () => {
  assert.deepEqual(
    violations((from, to) => from.startsWith("server/src/rl/") && /^server\/src\/(sandbox|check|engine|lsp)\//.test(to)),
    [],
  );
});

test("no import cycles, type-only imports included", () => {
  // Tarjan's strongly connected components.
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  const visit = (v: string) => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const v of graph.keys()) if (!index.has(v)) visit(v);
  assert.deepEqual(cycles, []);
});

test("the language server's bundle holds no TensorFlow.js", async () => {
  const r = await esbuild.build({
    entryPoints: [path.join(ROOT, "server/src/lsp/main.ts")],
    bundle: true,
    platform: "node",
    format: "cjs",
    write: false,
    metafile: true,
    outfile: "server.js",
    external: ["@tensorflow/tfjs-node", "esbuild", "esbuild-wasm", "typescript"],
    logLevel: "silent",
  });
  const tf = Object.keys(r.metafile.inputs).filter((i) => i.includes("@tensorflow/") || i.endsWith("rl/tf.ts"));
  assert.deepEqual(tf, []);
});
