/** Warm runners that serve many checks, and user code's processes dying with the runner. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkEnvironment, RunnerPool } from "../server/src/api";
import { eventually, example, fixture, processesMatching } from "./helpers";

test("a warm runner serves check after check, each as if fresh", async () => {
  const pool = new RunnerPool("wasm");
  try {
    pool.warm();
    const results = [];
    for (let k = 0; k < 6; k++) results.push(await checkEnvironment(example("bandit.rl.ts"), { pool, episodes: 32 }));
    // One runner serves them all; one spare waits beside it.
    assert.ok(pool.started <= 2, `${pool.started} runners started for 6 checks`);
    // A fresh module scope per check: the same seed gives the same numbers every time.
    for (const r of results) {
      assert.equal(r.ok, true, JSON.stringify(r.diagnostics));
      assert.deepEqual(r.stats, results[0].stats);
    }
  } finally {
    pool.dispose();
  }
});

test("a check that patches a global retires its runner; the next check gets a fresh one", async () => {
  const pool = new RunnerPool("wasm");
  try {
    pool.warm();
    await checkEnvironment(example("bandit.rl.ts"), { pool, episodes: 8 });
    const before = pool.started;
    await checkEnvironment(fixture("patches-globals.rl.ts"), { pool, episodes: 8 });
    const after = await checkEnvironment(example("bandit.rl.ts"), { pool, episodes: 8 });
    assert.equal(after.ok, true, JSON.stringify(after.diagnostics));
    assert.ok(pool.started > before, "a replacement runner was started");
  } finally {
    pool.dispose();
  }
});

test("a runner whose check timed out is replaced; the pool's next check runs in a working one", async () => {
  const pool = new RunnerPool("wasm");
  try {
    pool.warm();
    const stuck = await checkEnvironment(fixture("loop-in-reward.rl.ts"), { pool, callTimeoutMs: 300, episodes: 8 });
    assert.equal(stuck.diagnostics[0]?.code, "user-code-timeout");
    const next = await checkEnvironment(example("bandit.rl.ts"), { pool, episodes: 8 });
    assert.equal(next.ok, true, JSON.stringify(next.diagnostics));
    assert.ok(await eventually(() => pool.size <= 2, 3000), `${pool.size} runners alive`);
  } finally {
    pool.dispose();
  }
});
