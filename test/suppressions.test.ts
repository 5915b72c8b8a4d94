/**
 * `// rl-playground-ignore CODE: reason` silences CODE on the next line's diagnostic, or in the
 * whole file from the header comments; without a reason it silences nothing; one that silences
 * nothing is reported; the quick fix inserts one that keeps the file compiling and silences.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { checkEnvironment } from "../server/src/api";
import { applyEdits, addSuppression } from "../server/src/lsp/sourceEdits";
import { fixture, lineOf } from "./helpers";

const FILE = fixture("reward-sparse.rl.ts");
const TEXT = fs.readFileSync(FILE, "utf8");
const check = (contents: string) => checkEnvironment(FILE, { backend: "cpu", contents });
const codes = (r: Awaited<ReturnType<typeof check>>) => r.diagnostics.map((d) => [d.code, d.range.start.line]);

test("a suppression on the line above silences that code there", async () => {
  const before = await check(TEXT);
  const [sparse] = before.diagnostics;
  assert.equal(sparse.code, "reward-sparse");
  const line = sparse.range.start.line;
  const lines = TEXT.split("\n");
  const indent = /^\s*/.exec(lines[line])?.[0] ?? "";
  lines.splice(line, 0, `${indent}// rl-playground-ignore reward-sparse: the goal is reached by design`);
  assert.deepEqual(codes(await check(lines.join("\n"))), []);
});

test("at the top of the file a suppression covers the whole file; one that matches nothing is reported", async () => {
  const header =
    "// rl-playground-ignore reward-sparse: a corridor on purpose\n// rl-playground-ignore gradient-noise: nothing to silence\n";
  const r = await check(header + TEXT);
  assert.deepEqual(codes(r), [["suppression-unused", 1]]);
  assert.equal(r.diagnostics[0].severity, "information");
  assert.match(r.diagnostics[0].message, /no gradient-noise diagnostic in this file/);
});

test("a suppression without a reason silences nothing and says why", async () => {
  const r = await check("// rl-playground-ignore reward-sparse\n" + TEXT);
  assert.deepEqual(
    codes(r).map(([c]) => c),
    ["reward-sparse", "suppression-unused"],
  );
  assert.match(r.diagnostics[1].message, /has no reason/);
});

test("the quick fix inserts a suppression with a reason to fill in, which silences the diagnostic", async () => {
  const before = await check(TEXT);
  const [sparse] = before.diagnostics;
  const fixed = applyEdits(TEXT, addSuppression(TEXT, sparse.range, sparse.code));
  assert.equal(lineOf(fixed, "rl-playground-ignore reward-sparse:"), sparse.range.start.line);
  assert.deepEqual(codes(await check(fixed)), []);
});
