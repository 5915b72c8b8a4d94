/**
 * Training end to end through the isolated runner: CartPole is solved with the default
 * settings, runs are reproducible for a seed and backend, and no tensors leak.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { trainEnvironment } from "../server/src/api";
import type { UpdateMetrics } from "../server/src/protocol";
import { loadInProcess } from "../bench/harness";
import { train } from "../server/src/rl/train";
import { tf } from "../server/src/rl/tf";
import { BACKENDS, example, fixture } from "./helpers";

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

for (const backend of BACKENDS)
  test(`a Gaussian policy learns: reach is solved with a fixed seed (${backend})`, async () => {
    const result = await trainEnvironment(example("reach.rl.ts"), { backend, settings: { seed: 0 } });
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.summary.solved, true, `mean return ${result.summary.meanReturn100} after ${result.summary.episodes} episodes`);
    assert.ok(result.summary.meanReturn100 >= -5);
  });

/** The rows of a run's metrics.jsonl. */
function metricsOf(dir: string): UpdateMetrics[] {
  return fs
    .readFileSync(path.join(dir, "metrics.jsonl"), "utf8")
    .trim()
    .split("\n")
    .map((line) => JSON.parse(line) as UpdateMetrics);
}

test("every update's metrics carry the policy at fixed probe states and, with named reward terms, their variance shares", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rlp-metrics-"));
  const terms = await trainEnvironment(fixture("reward-term-dominates.rl.ts"), {
    backend: "cpu",
    settings: { seed: 0, maxEpisodes: 96 },
    runDir: path.join(dir, "terms"),
  });
  assert.ok(terms.ok, JSON.stringify(terms));
  const rows = metricsOf(path.join(dir, "terms"));
  assert.equal(rows.length, 6);
  for (const m of rows) {
    const p = m.policy;
    assert.ok(p && p.kind === "discrete", JSON.stringify(p));
    assert.equal(p.probeStates, 4);
    assert.equal(p.actionProbs.length, 4);
    for (const probs of p.actionProbs) {
      assert.equal(probs.length, 3);
      assert.ok(Math.abs(probs.reduce((s, v) => s + v, 0) - 1) < 1e-6);
    }
    const shares = m.rewardTermVarianceShares;
    assert.ok(shares, "named terms: shares in every update");
    assert.deepEqual(Object.keys(shares), ["task", "bonus"]);
    assert.ok(Math.abs(shares.task + shares.bonus - 1) < 1e-4, JSON.stringify(shares));
  }
  // Snapshots are taken after each update: from the uniform start, training moves the policy toward the best arm (2 pays 2 + 10).
  const best = rows.map((m) => (m.policy?.kind === "discrete" ? m.policy.actionProbs[0][2] : NaN));
  assert.ok(best[0] > 1 / 3 && best.every((p, k) => k === 0 || p > best[k - 1]), `P(arm 2) by update: ${best}`);
  assert.ok(best[best.length - 1] > 0.5, `P(arm 2) by update: ${best}`);

  const box = await trainEnvironment(example("reach.rl.ts"), {
    backend: "cpu",
    settings: { seed: 0, maxEpisodes: 48 },
    runDir: path.join(dir, "box"),
  });
  assert.ok(box.ok, JSON.stringify(box));
  const boxRows = metricsOf(path.join(dir, "box"));
  assert.equal(boxRows.length, 3);
  for (const m of boxRows) {
    const p = m.policy;
    assert.ok(p && p.kind === "box", JSON.stringify(p));
    assert.equal(p.mean.length, 4);
    assert.ok(p.mean.every((row) => row.length === 2 && row.every(Number.isFinite)));
    assert.equal(p.std.length, 2);
    assert.equal(m.rewardTermVarianceShares, undefined, "no named terms, no shares");
  }
  // σ starts at 1 and moves by about one Adam step (learning rate 0.01) per update.
  const sigma = boxRows[0].policy?.kind === "box" ? boxRows[0].policy.std : [];
  assert.ok(
    sigma.every((s) => Math.abs(s - 1) < 0.05),
    `σ after the first update: ${sigma}`,
  );
  fs.rmSync(dir, { recursive: true, force: true });
});
