/**
 * User code may signal only the runner's own processes: `process.kill(process.ppid, ...)`
 * in a step is refused with a clear user-code-threw, and the caller (here the CLI) lives on.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { ownProcess } from "../server/src/sandbox/threadSignalGuard";
import { cli, fixture, lineOf } from "./helpers";

test("process.kill(process.ppid) in step is refused: the CLI survives and reports it on the line", () => {
  const entry = fixture("kill-parent.rl.ts");
  const r = cli(["check", entry, "--json", "--backend", "wasm", "--episodes", "16"], 60_000);
  assert.equal(r.status, 1, r.stderr);
  const out = JSON.parse(r.stdout) as { diagnostics: Array<{ code: string; message: string; range: { start: { line: number } } }> };
  assert.deepEqual(
    out.diagnostics.map((d) => d.code),
    ["user-code-threw"],
  );
  assert.equal(out.diagnostics[0].range.start.line, lineOf(fs.readFileSync(entry, "utf8"), "MARK: user-code-threw"));
  assert.match(out.diagnostics[0].message, /process\.kill\(\d+\) was refused/);
});

test("the binding under process.kill refuses the parent too (the episode's reward says so)", () => {
  const r = cli(["check", fixture("kill-parent-raw.rl.ts"), "--json", "--backend", "wasm", "--episodes", "16"], 60_000);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { stats: { returnMean: number } };
  // Action 1 gives reward 1 when the kill was refused, 0 otherwise: a mean above 0 means refused.
  assert.ok(out.stats.returnMean > 0, JSON.stringify(out.stats));
});

test("own processes are the runner, its group and its descendants; never -1 or another process", () => {
  assert.equal(ownProcess(process.pid), true);
  assert.equal(ownProcess(0), true);
  assert.equal(ownProcess(-1), false);
  assert.equal(ownProcess(process.ppid), false);
  assert.equal(ownProcess(1), false);
});
