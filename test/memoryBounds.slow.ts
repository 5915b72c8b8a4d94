/**
 * Memory is bounded in the number of episodes and their length: the gradient pass takes a
 * batch in chunks (windows of steps for an episode too long for one), so its peak tensor
 * memory follows the chunk budget, not the batch; `check --episodes 3000` on 1000-step
 * episodes and an episode of 100,000 steps both work end to end.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { selectBackend } from "../server/src/rl/backend";
import type { EnvSpec } from "../server/src/rl/envSpec";
import { chunkPlan, gradientPass } from "../server/src/rl/gradientPass";
import { Policy } from "../server/src/rl/policy";
import type { EpisodeBatch } from "../server/src/rl/episodeBatch";
import { tf } from "../server/src/rl/tf";
import { makeRng } from "../server/src/runtime/index";
import { cli, fixture } from "./helpers";

const F = 4;
const SPEC: EnvSpec = {
  observation: {
    kind: "box",
    dim: F,
    low: new Float64Array(F).fill(-1),
    high: new Float64Array(F).fill(1),
    low32: new Float32Array(F).fill(-1),
    high32: new Float32Array(F).fill(1),
  },
  featureDim: F,
  action: { kind: "discrete", n: 2, start: 0 },
  actionDim: 2,
  maxEpisodeSteps: 1000,
  rewardThreshold: null,
};

function syntheticBatch(n: number, lengths: (i: number) => number, stride: number): EpisodeBatch {
  const rng = makeRng("memory");
  const rows = n * stride;
  return {
    n,
    stride,
    lengths: Int32Array.from({ length: n }, (_, i) => lengths(i)),
    features: Float32Array.from({ length: rows * F }, () => rng() - 0.5),
    actionIndex: Int32Array.from({ length: rows }, () => (rng() < 0.5 ? 0 : 1)),
    actionValue: new Float32Array(0),
    rewards: Float64Array.from({ length: rows }, () => rng()),
    terms: new Map(),
    terminated: new Uint8Array(n),
    entropySum: 0,
  };
}

test("the chunk plan covers every step of every episode once and keeps each chunk within the budget", () => {
  const policy = new Policy(SPEC, [32], "relu", 0);
  const budget = 1 << 16;
  const batch = syntheticBatch(50, (i) => [1000, 3, 17, 400][i % 4], 1000);
  const plan = chunkPlan(batch, policy, 3, budget);
  const perRow = F + 32 + 2 + 3 * 32;
  const covered = Array.from({ length: batch.n }, () => 0);
  for (const chunk of plan) {
    for (const w of chunk) {
      let T = 0;
      for (let i = w.from; i < w.to; i++) {
        const steps = Math.min(batch.lengths[i], w.t1) - w.t0;
        covered[i] += steps;
        T = Math.max(T, steps);
      }
      assert.ok((w.to - w.from) * T * perRow <= budget, `window ${JSON.stringify(w)} exceeds the budget`);
    }
  }
  assert.deepEqual(covered, Array.from(batch.lengths));
  policy.dispose();
});

test("the gradient pass's peak tensor memory follows the chunk budget, not the batch", async () => {
  await selectBackend("cpu");
  const policy = new Policy(SPEC, [32], "relu", 0);
  const budget = 1 << 18;
  const peak = async (episodes: number) => {
    const batch = syntheticBatch(episodes, () => 1000, 1000);
    const column = Float64Array.from(batch.rewards);
    const info = await tf.profile(() => {
      const m = gradientPass(policy, SPEC, batch, [column, column.map((v) => v - 0.5)], { stepColumn: 0, chunkElements: budget });
      tf.dispose(m.step);
    });
    return info.peakBytes;
  };
  const small = await peak(8);
  const large = await peak(64);
  // Eight times the episodes, about the same peak: a few chunk-sized float32 tensors (4 bytes per element).
  assert.ok(large < 1.5 * small, `peak ${large} bytes for 64 episodes against ${small} for 8`);
  assert.ok(large < 16 * 4 * budget, `peak ${large} bytes against a budget of ${4 * budget} bytes per tensor`);
  policy.dispose();
});

test("check --episodes 3000 on 1000-step episodes works", () => {
  const r = cli(["check", fixture("long-episodes.rl.ts"), "--episodes", "3000", "--json", "--backend", "wasm"], 600_000);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.stats.episodes, 3000);
  assert.ok(Number.isFinite(out.stats.gradient.traceCov));
  assert.deepEqual(
    out.diagnostics.map((d: { code: string }) => d.code),
    ["never-terminates"],
  );
});

test("an episode of 100,000 steps goes through the gradient pass in windows", () => {
  const r = cli(["check", fixture("very-long-episode.rl.ts"), "--episodes", "2", "--json", "--backend", "wasm"], 600_000);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  assert.equal(out.stats.episodes, 2);
  assert.ok(out.stats.gradient.traceCov > 0 && Number.isFinite(out.stats.gradient.traceCov));
});
