/**
 * File URIs as VS Code writes them: the client names a document by `URI.file(path).toString()`,
 * which percent-encodes `@`, `#`, `[`, spaces and the like. A diagnostic the server places in an
 * imported file must use the same spelling, or the editor shows it under a second, unknown URI.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { byUri, uriToPath } from "../server/src/lsp/lspDiagnostics";
import type { Diagnostic } from "../server/src/protocol";

const at = (file: string): Diagnostic => ({
  code: "bad-reset",
  severity: "error",
  message: "boom",
  file,
  range: { start: { line: 0, character: 0 }, end: { line: 0, character: 1 } },
});

test("a diagnostic in an imported file is keyed by the URI VS Code gives that file", () => {
  const document = { uri: "file:///work/env.rl.ts", path: "/work/env.rl.ts" };
  const grouped = byUri([at("/work/lib/@scope helper#1.ts")], document, () => ({}));
  // VS Code's URI.toString() encodes '@' as %40 (Node's pathToFileURL leaves it as '@').
  assert.deepEqual([...grouped.keys()], [document.uri, "file:///work/lib/%40scope%20helper%231.ts"]);
});

test("a file URI turns into its path, encoded characters decoded; other schemes have none", () => {
  assert.equal(uriToPath("file:///work/lib/%40scope%20helper%231.ts"), "/work/lib/@scope helper#1.ts");
  assert.equal(uriToPath("file:///work/a@b.rl.ts"), "/work/a@b.rl.ts");
  assert.equal(uriToPath("untitled:Untitled-1"), null);
  assert.equal(uriToPath("vscode-remote://ssh-remote+host/work/a.rl.ts"), null);
});
