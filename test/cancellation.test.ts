/**
 * Cancellation at once: an aborted probe returns to its caller within 100 ms
 * (asserted with room for a loaded machine: 250 ms; `npm run bench` reports the real
 * numbers), a training within a second (asserted: 1.5 s), leaving a complete run folder
 * marked stopped or none at all, never a half-written one.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkEnvironment, RunnerPool, startTraining } from "../server/src/api";
import { eventually, example } from "./helpers";

test("an aborted probe returns to its caller at once, and its warm runner serves the next check", async () => {
  const pool = new RunnerPool("wasm");
  try {
    pool.warm();
    const controller = new AbortController();
    let started = false;
    const pending = checkEnvironment(example("cartpole.rl.ts"), { pool, episodes: 100_000, signal: controller.signal });
    // Abort while the probe is running (its runner is busy), not before it starts.
    await eventually(() => (started = pool.size >= 2), 10_000);
    assert.ok(started);
    await new Promise((r) => setTimeout(r, 300));
    const t0 = performance.now();
    controller.abort();
    const result = await pending;
    const ms = performance.now() - t0;
    assert.equal(result.stopped, true);
    assert.equal(result.stats, null);
    assert.deepEqual(result.diagnostics, []);
    assert.ok(ms < 250, `abort → resolve took ${ms.toFixed(0)} ms`);
    const next = await checkEnvironment(example("bandit.rl.ts"), { pool, episodes: 16 });
    assert.equal(next.ok, true);
  } finally {
    pool.dispose();
  }
});

test("a stopped training ends within a second, with its run folder complete and marked stopped, or absent", async () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), "rlp-stop-"));
  const runDir = path.join(parent, "run");
  let updates = 0;
  const handle = startTraining(example("cartpole.rl.ts"), {
    backend: "wasm",
    settings: { maxEpisodes: 1_000_000 },
    continueAfterSolved: true,
    runDir,
    onProgress: () => updates++,
  });
  assert.ok(await eventually(() => updates >= 3, 60_000), "the training made progress");
  const t0 = performance.now();
  handle.stop();
  const result = await handle.result;
  const ms = performance.now() - t0;
  assert.ok(ms < 1500, `stop → resolve took ${ms.toFixed(0)} ms`);
  assert.equal(result.ok, false);
  assert.equal(result.reason, "stopped");
  const left = fs.readdirSync(parent);
  if (result.summary) {
    assert.deepEqual(left, ["run"]);
    const saved = JSON.parse(fs.readFileSync(path.join(runDir, "summary.json"), "utf8"));
    assert.equal(saved.reason, "stopped");
    assert.equal(saved.runDir, runDir);
    for (const f of ["metrics.jsonl", "metrics.csv", "model.json", "weights.bin", "policy.json"])
      assert.ok(fs.existsSync(path.join(runDir, f)), f);
  } else assert.deepEqual(left, [], "nothing half-written");
});
