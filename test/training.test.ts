/**
 * Training end to end through the isolated runner: CartPole is solved with the default
 * settings, runs are reproducible for a seed and backend, and no tensors leak.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { trainEnvironment } from "../server/src/api";
import type { UpdateMetrics } from "../server/src/protocol";
import { loadInProcess } from "../bench/harness";
import { train } from "../server/src/rl/train";
import { tf } from "../server/src/rl/tf";
import { BACKENDS, example } from "./helpers";

for (const backend of BACKENDS) {
  test(`CartPole reaches a mean return >= 475 over 100 episodes with the default settings (${backend})`, async () => {
    const result = await trainEnvironment(example("cartpole.rl.ts"), { backend, settings: { seed: 0 } });
    assert.ok(result.ok, JSON.stringify(result));
    const s = result.summary;
    console.log(
      `CartPole on ${s.backend}: solved=${s.solved} after ${s.solvedAtEpisode} episodes, ${s.envSteps} env steps, ${s.seconds.toFixed(2)} s`,
    );
    assert.equal(s.backend, backend);
    assert.equal(s.solved, true);
    assert.equal(s.reason, "solved");
    assert.ok(s.meanReturn100 >= 475, `mean return ${s.meanReturn100}`);
  });

  test(`the same seed and backend give identical metrics, another seed differs (${backend})`, async () => {
    const run = async (seed: number) => {
      const rows: UpdateMetrics[] = [];
      const r = await trainEnvironment(example("gridworld.rl.ts"), {
        backend,
        settings: { seed, maxEpisodes: 160 },
        onProgress: (m) => rows.push(m),
      });
      assert.ok(r.ok);
      // Wall-clock time is the only thing allowed to differ.
      return rows.map(({ seconds: _seconds, ...rest }) => rest);
    };
    const a = await run(5);
    const b = await run(5);
    assert.equal(a.length, 10);
    assert.deepEqual(a, b);
    assert.notDeepEqual(await run(6), a);
  });

  for (const [file, baseline] of [
    ["gridworld.rl.ts", "value"],
    ["reach.rl.ts", "mean"],
  ] as const)
    test(`no tensor leak: tf.memory().numTensors is the same after update 10 and update 100 (${file}, ${baseline} baseline, ${backend})`, async () => {
      const { user, guard } = await loadInProcess(example(file), backend);
      const counts = new Map<number, number>();
      const before = tf.memory().numTensors;
      const summary = await train(user, guard, {
        overrides: { maxEpisodes: 1600, seed: 1, baseline, entropyCoef: 0.01 },
        backend,
        runDir: null,
        continueAfterSolved: true,
        onProgress: (m) => counts.set(m.update, tf.memory().numTensors),
      });
      assert.equal(summary.updates, 100);
      assert.equal(counts.get(10), counts.get(100), `after update 10: ${counts.get(10)}, after update 100: ${counts.get(100)}`);
      // Disposing the trainer returns every tensor it made.
      assert.equal(tf.memory().numTensors, before);
    });
}
