/**
 * A pool holds at most its bound of runner processes, however many checks ask at once: the
 * others wait for a runner, the highest priority first (asked when a runner comes free), and
 * a check stopped while it waits never runs.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkEnvironment, RunnerPool } from "../server/src/api";
import { example } from "./helpers";

test("eight checks at once on a pool of two run two at a time, each as if alone", { timeout: 300_000 }, async () => {
  const pool = new RunnerPool("wasm", undefined, undefined, 2);
  try {
    const alone = await checkEnvironment(example("bandit.rl.ts"), { pool, episodes: 16 });
    const results = await Promise.all(Array.from({ length: 8 }, () => checkEnvironment(example("bandit.rl.ts"), { pool, episodes: 16 })));
    assert.equal(pool.peak, 2, "never more than two runners alive");
    for (const r of results) assert.deepEqual(r.stats, alone.stats);
  } finally {
    pool.dispose();
  }
});

test("a waiting check with a higher priority gets the next runner; a stopped one never runs", { timeout: 300_000 }, async () => {
  const pool = new RunnerPool("wasm", undefined, 0, 1);
  try {
    const order: string[] = [];
    const check = (name: string, options: { priority?: () => number; signal?: AbortSignal } = {}) =>
      checkEnvironment(example("bandit.rl.ts"), { pool, episodes: 8, ...options }).then((r) => {
        order.push(name);
        return r;
      });
    const first = check("first");
    const plain = check("plain");
    const stop = new AbortController();
    const stopped = check("stopped", { signal: stop.signal });
    let urgent = 0;
    const late = check("late", { priority: () => urgent });
    // Raised before it waits for the runner (the pool asks when a runner comes free): it goes before the check queued earlier.
    urgent = 1;
    stop.abort();
    assert.equal((await stopped).stopped, true);
    await Promise.all([first, plain, late]);
    // The one runner goes to whichever of the two bundled first, then to `late`, then to the other.
    assert.equal(order[0], "stopped");
    assert.equal(order[2], "late", order.join(", "));
    assert.deepEqual([order[1], order[3]].sort(), ["first", "plain"]);
    assert.equal(pool.peak, 1);
  } finally {
    pool.dispose();
  }
});
