/**
 * Design §5's catalogue: one fixture per code triggers exactly that diagnostic, with its
 * severity, on the line where the user would fix it; the examples stay clean; hostile
 * files never hang or kill the caller.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { checkEnvironment } from "../server/src/api";
import type { DiagnosticCode, Severity } from "../server/src/protocol";
import { example, fixture, lineOf } from "./helpers";

const CATALOGUE: Array<[file: string, code: DiagnosticCode, severity: Severity]> = [
  ["syntax-error.rl.ts", "transpile-error", "error"],
  ["missing-import.rl.ts", "transpile-error", "error"],
  ["no-default-export.rl.ts", "missing-environment", "error"],
  ["invalid-space.rl.ts", "invalid-space", "error"],
  ["invalid-training.rl.ts", "invalid-training", "error"],
  ["bad-reset.rl.ts", "bad-reset", "error"],
  ["bad-step.rl.ts", "bad-step", "error"],
  ["wrong-length-observation.rl.ts", "observation-out-of-space", "error"],
  ["nan-reward.rl.ts", "not-finite", "error"],
  ["throw-in-step.rl.ts", "user-code-threw", "error"],
  ["loop-in-reward.rl.ts", "user-code-timeout", "error"],
  ["exit-in-reward.rl.ts", "user-code-crashed", "error"],
  ["oom-in-reward.rl.ts", "user-code-crashed", "error"],
  ["buffer-in-reward.rl.ts", "user-code-crashed", "error"],
  ["kill-in-step.rl.ts", "user-code-crashed", "error"],
  ["nondeterministic-reset.rl.ts", "nondeterministic-reset", "warning"],
  ["never-terminates.rl.ts", "never-terminates", "information"],
  ["reward-constant.rl.ts", "reward-constant", "warning"],
  ["reward-action-independent.rl.ts", "reward-action-independent", "warning"],
  ["reward-sparse.rl.ts", "reward-sparse", "warning"],
  ["gradient-noise.rl.ts", "gradient-noise", "warning"],
  ["baseline-recommended.rl.ts", "baseline-recommended", "information"],
  ["reward-term-dominates.rl.ts", "reward-term-dominates-variance", "information"],
];

for (const [file, code, severity] of CATALOGUE) {
  test(`${file} gives exactly ${code} (${severity}) on the marked line`, async () => {
    const path = fixture(file);
    const text = fs.readFileSync(path, "utf8");
    const marker = /MARK: [\w-]+/.exec(text)?.[0] as string;
    const started = Date.now();
    // A fixed episode count keeps the verdicts independent of this machine's speed (the seeds fix the rest).
    // Filling a gigabyte takes about a second: a loaded machine must not turn running out of memory into a timeout.
    const fillsMemory = file.includes("oom") || file.includes("buffer");
    const result = await checkEnvironment(path, { backend: "wasm", episodes: 256, callTimeoutMs: fillsMemory ? 10_000 : undefined });
    assert.deepEqual(
      result.diagnostics.map((d) => d.code),
      [code],
      JSON.stringify(result.diagnostics, null, 1),
    );
    const d = result.diagnostics[0];
    assert.equal(d.severity, severity);
    assert.equal(d.file, path);
    assert.equal(d.range.start.line, lineOf(text, marker), `on line ${d.range.start.line + 1}: ${d.message}`);
    assert.ok(d.range.end.line > d.range.start.line || d.range.end.character > d.range.start.character, "the range is not empty");
    assert.ok(d.message.length > 40, "the message explains");
    // Never hangs: the slowest case is the 2 s call limit.
    assert.ok(Date.now() - started < 30_000);
  });
}

for (const name of ["cartpole.rl.ts", "bandit.rl.ts"]) {
  test(`examples/${name} gives no diagnostic at all`, async () => {
    const result = await checkEnvironment(example(name), { backend: "wasm", episodes: 256 });
    assert.deepEqual(result.diagnostics, []);
    assert.ok(result.stats && result.summary);
  });
}

test("the probe's sample is fixed by the settings: whole batches of episodesPerUpdate, never fewer than four", async () => {
  const cartpole = await checkEnvironment(example("cartpole.rl.ts"), { backend: "wasm" });
  assert.equal(cartpole.stats?.episodes, 256);
  assert.deepEqual([cartpole.stats?.confidence.batches, cartpole.stats?.confidence.batchSize], [16, 16]);
  const big = await checkEnvironment(example("bandit.rl.ts"), { backend: "wasm", settings: { episodesPerUpdate: 100 } });
  assert.equal(big.stats?.episodes, 400);
  assert.deepEqual([big.stats?.confidence.batches, big.stats?.confidence.batchSize], [4, 100]);
  // --episodes N: N episodes in batches of episodesPerUpdate, the last one smaller.
  const exact = await checkEnvironment(example("bandit.rl.ts"), { backend: "wasm", episodes: 40 });
  assert.equal(exact.stats?.episodes, 40);
  assert.deepEqual([exact.stats?.confidence.batches, exact.stats?.confidence.batchSize], [3, 16]);
});

test("a probe in progress can be stopped", async () => {
  const controller = new AbortController();
  const pending = checkEnvironment(example("cartpole.rl.ts"), { backend: "cpu", episodes: 100_000, signal: controller.signal });
  setTimeout(() => controller.abort(), 300);
  const result = await pending;
  // Stopped, not ended by the sample or the CPU-time bound (either would carry a verdict).
  assert.equal(result.stopped, true);
  assert.equal(result.stats, null);
});

test("unsaved editor contents are checked instead of the file on disk, with places in them", async () => {
  const path = fixture("throw-in-step.rl.ts");
  const text = fs.readFileSync(path, "utf8");
  const edited = "// two lines typed\n// above the code\n" + text;
  const result = await checkEnvironment(path, { backend: "cpu", contents: edited });
  assert.deepEqual(
    result.diagnostics.map((d) => d.code),
    ["user-code-threw"],
  );
  assert.equal(result.diagnostics[0].range.start.line, lineOf(text, "MARK: throws") + 2);
  const fixed = await checkEnvironment(path, { backend: "cpu", contents: text.replace(/if \(this\.t === 3\) throw [^;]+;/, "") });
  assert.ok(!fixed.diagnostics.some((d) => d.severity === "error"), JSON.stringify(fixed.diagnostics));
});

test("a throw inside a locally imported module is placed in that module", async () => {
  const helper = fixture("lib/physics.ts");
  const result = await checkEnvironment(fixture("throw-in-import.rl.ts"), { backend: "cpu", episodes: 16 });
  assert.deepEqual(
    result.diagnostics.map((d) => d.code),
    ["user-code-threw"],
  );
  const d = result.diagnostics[0];
  assert.equal(d.file, helper);
  assert.equal(d.range.start.line, lineOf(fs.readFileSync(helper, "utf8"), "MARK: helper throws"));
  assert.match(d.message, /RangeError: position .* left the track/);
});
