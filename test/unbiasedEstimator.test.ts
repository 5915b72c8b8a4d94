/**
 * The batch estimate ĝ is unbiased for every baseline, batch size and discount, against
 * expectations enumerated here by another route than the engine's: closed-form scores of
 * a linear softmax on one-hot states, ∇_W log π(a|s) = onehot(s) ⊗ (e_a − π(·|s)) and
 * ∇_b log π(a|s) = e_a − π(·|s), summed over every trajectory with its probability.
 *
 *   E[ĝ] = Σ_τ p(τ) Σ_t ∇log π(a_t|s_t) G_t(τ)      (no γ^t on the score term: returns.ts)
 *
 * With γ = 1 this is ∇J, checked against central finite differences of J(θ) = Σ_τ p(τ) R(τ).
 * The Monte-Carlo mean of ĝ over R independent batches of N episodes (the engine's own
 * weighting, per batch) must be within 3 standard errors of it, along ∇J and on every
 * coordinate (4 there: several coordinates). Today's batch mean baseline fails at N = 2,
 * where it halves E[ĝ].
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadInProcess } from "../bench/harness";
import type { BaselineKind } from "../server/src/protocol";
import { describeEnvironment } from "../server/src/rl/envSpec";
import { episodeGradients, padBatch } from "../server/src/rl/episodeGradients";
import { flattenColumn } from "../server/src/rl/gradientPass";
import { Reinforce } from "../server/src/rl/reinforce";
import type { EpisodeBatch } from "../server/src/rl/episodeBatch";
import { LockstepRollout } from "../server/src/rl/rollout";
import { resolveSettings } from "../server/src/rl/settings";
import { tf } from "../server/src/rl/tf";
import { makeRng } from "../server/src/runtime/index";
import { example, fixture } from "./helpers";

/** A finite MDP on one-hot states: the trajectories with their actions, states and rewards. */
interface Trajectory {
  states: number[];
  actions: number[];
  rewards: number[];
}
interface Model {
  file: string;
  states: number;
  actions: number;
  trajectories: Trajectory[];
}

const BANDIT: Model = {
  file: example("bandit.rl.ts"),
  states: 1,
  actions: 4,
  trajectories: [0.2, 0.5, 1.0, 0.1].map((r, a) => ({ states: [0], actions: [a], rewards: [r] })),
};
const TWO_STEP: Model = {
  file: fixture("two-step-mdp.rl.ts"),
  states: 3,
  actions: 2,
  trajectories: [
    { states: [0], actions: [1], rewards: [0.6] },
    { states: [0, 1], actions: [0, 0], rewards: [1, 0] },
    { states: [0, 1], actions: [0, 1], rewards: [1, 2] },
  ],
};

/** θ = (W [S × K] row-major, b [K]): the order of `Policy.variables` for `hidden: []`. */
function probabilities(model: Model, theta: number[], s: number): number[] {
  const K = model.actions;
  const logits = Array.from({ length: K }, (_, a) => theta[s * K + a] + theta[model.states * K + a]);
  const max = Math.max(...logits);
  const z = logits.map((l) => Math.exp(l - max));
  const total = z.reduce((x, y) => x + y, 0);
  return z.map((v) => v / total);
}

function probabilityOf(model: Model, theta: number[], tr: Trajectory): number {
  return tr.actions.reduce((p, a, t) => p * probabilities(model, theta, tr.states[t])[a], 1);
}

/** E[Σ_t ∇log π(a_t|s_t) G_t] by enumeration, closed-form scores. */
function expectedEstimate(model: Model, theta: number[], gamma: number): number[] {
  const K = model.actions;
  const out = new Array(theta.length).fill(0);
  for (const tr of model.trajectories) {
    const p = probabilityOf(model, theta, tr);
    let G = 0;
    for (let t = tr.actions.length - 1; t >= 0; t--) {
      G = tr.rewards[t] + gamma * G;
      const pi = probabilities(model, theta, tr.states[t]);
      for (let a = 0; a < K; a++) {
        const score = (a === tr.actions[t] ? 1 : 0) - pi[a];
        out[tr.states[t] * K + a] += p * score * G;
        out[model.states * K + a] += p * score * G;
      }
    }
  }
  return out;
}

function expectedReturn(model: Model, theta: number[]): number {
  return model.trajectories.reduce((s, tr) => s + probabilityOf(model, theta, tr) * tr.rewards.reduce((x, y) => x + y, 0), 0);
}

const THETA: Record<string, number[]> = {
  bandit: [0.3, -0.2, 0.4, -0.5, 0.1, 0.0, -0.1, 0.2],
  twoStep: [0.3, -0.2, -0.5, 0.4, 0.1, 0.0, 0.1, -0.1],
};

test("the enumerated expectation is ∇J at γ = 1 (finite differences of J)", () => {
  for (const [model, theta] of [
    [BANDIT, THETA.bandit],
    [TWO_STEP, THETA.twoStep],
  ] as const) {
    const exact = expectedEstimate(model, theta, 1);
    const h = 1e-6;
    theta.forEach((_, k) => {
      const up = theta.map((v, j) => (j === k ? v + h : v));
      const down = theta.map((v, j) => (j === k ? v - h : v));
      const fd = (expectedReturn(model, up) - expectedReturn(model, down)) / (2 * h);
      assert.ok(Math.abs(fd - exact[k]) < 1e-7, `parameter ${k}: finite difference ${fd}, enumerated ${exact[k]}`);
    });
  }
});

/** Episodes [from, from + n) of a batch, as a batch (views, no copy). */
function slice(batch: EpisodeBatch, from: number, n: number): EpisodeBatch {
  const rows = (a: Float32Array | Int32Array | Float64Array, perRow: number) =>
    a.subarray(from * batch.stride * perRow, (from + n) * batch.stride * perRow);
  const F = batch.features.length / batch.rewards.length;
  return {
    ...batch,
    n,
    lengths: batch.lengths.subarray(from, from + n),
    features: rows(batch.features, F) as Float32Array,
    actionIndex: rows(batch.actionIndex, 1) as Int32Array,
    rewards: rows(batch.rewards, 1) as Float64Array,
    terminated: batch.terminated.subarray(from, from + n),
    terms: new Map(),
  };
}

const CASES: { name: string; model: Model; theta: number[]; baseline: BaselineKind; gamma: number; N: number; R: number }[] = [
  { name: "bandit", model: BANDIT, theta: THETA.bandit, baseline: "mean", gamma: 1, N: 2, R: 6000 },
  { name: "bandit", model: BANDIT, theta: THETA.bandit, baseline: "mean", gamma: 1, N: 16, R: 1500 },
  { name: "two-step MDP", model: TWO_STEP, theta: THETA.twoStep, baseline: "mean", gamma: 0.9, N: 2, R: 6000 },
  { name: "two-step MDP", model: TWO_STEP, theta: THETA.twoStep, baseline: "mean", gamma: 0.9, N: 16, R: 1500 },
  { name: "two-step MDP", model: TWO_STEP, theta: THETA.twoStep, baseline: "mean", gamma: 1, N: 2, R: 6000 },
  { name: "two-step MDP", model: TWO_STEP, theta: THETA.twoStep, baseline: "none", gamma: 0.9, N: 16, R: 1500 },
  { name: "two-step MDP", model: TWO_STEP, theta: THETA.twoStep, baseline: "value", gamma: 0.9, N: 16, R: 1500 },
];

for (const c of CASES)
  test(`Monte-Carlo mean of ĝ is within 3 standard errors of the enumerated gradient (${c.name}, baseline ${c.baseline}, γ = ${c.gamma}, N = ${c.N})`, async () => {
    const { user, guard } = await loadInProcess(c.model.file, "cpu");
    const spec = describeEnvironment(user.create());
    const settings = resolveSettings(user.training, {
      baseline: c.baseline,
      gamma: c.gamma,
      policy: { hidden: [], activation: "relu" },
      seed: 1,
    });
    const agent = new Reinforce(spec, settings);
    const vars = agent.policy.variables();
    let at = 0;
    for (const v of vars) {
      v.assign(tf.tensor(c.theta.slice(at, at + v.size), v.shape));
      at += v.size;
    }
    // A value network that was not fitted on these episodes: any fixed V(s) leaves ĝ unbiased.
    if (agent.value) {
      const rng = makeRng("value");
      for (const v of agent.value.net.variables())
        v.assign(
          tf.tensor(
            Float32Array.from({ length: v.size }, () => 2 * rng() - 1),
            v.shape,
          ),
        );
    }
    const exact = expectedEstimate(c.model, c.theta, c.gamma);

    const total = c.N * c.R;
    const batch = new LockstepRollout(user, spec, total, 100, guard).collect(
      agent.policy,
      makeRng(`unbiased/${c.name}/${c.N}`),
    ) as EpisodeBatch;
    // Ψ as the engine weighs each batch of N (its own leave-one-out baseline), then one kernel pass for all.
    const psi = new Float64Array(batch.rewards.length);
    for (let r = 0; r < c.R; r++) {
      const part = slice(batch, r * c.N, c.N);
      const cols = agent.weightColumns(part);
      psi.set(cols.columns[cols.stats].subarray(0, c.N * batch.stride), r * c.N * batch.stride);
    }
    const grads = episodeGradients(agent.policy, padBatch(batch, spec, [psi]));
    const g = flattenColumn(grads, 0);
    tf.dispose(grads.tensors);
    agent.dispose();

    // ĝ_r per batch, then their mean and standard error per coordinate and along ∇J.
    const P = exact.length;
    const batchMeans = Array.from({ length: c.R }, (_, r) => {
      const m = new Array(P).fill(0);
      for (let i = r * c.N; i < (r + 1) * c.N; i++) for (let k = 0; k < P; k++) m[k] += g[i][k] / c.N;
      return m;
    });
    const norm = Math.hypot(...exact);
    const along = batchMeans.map((m) => m.reduce((s, v, k) => s + (v * exact[k]) / norm, 0));
    const z = (xs: number[], target: number) => {
      const mean = xs.reduce((s, v) => s + v, 0) / xs.length;
      const sd = Math.sqrt(xs.reduce((s, v) => s + (v - mean) ** 2, 0) / (xs.length - 1));
      // A coordinate no sampled step touches (a state where no decision is made) must be exactly 0.
      if (sd === 0) return { z: Math.abs(mean - target) < 1e-9 ? 0 : Infinity, mean };
      return { z: (mean - target) / (sd / Math.sqrt(xs.length)), mean };
    };
    const main = z(along, norm);
    assert.ok(Math.abs(main.z) < 3, `along ∇J: Monte-Carlo ${main.mean}, exact ${norm}, z = ${main.z.toFixed(2)}`);
    for (let k = 0; k < P; k++) {
      const coordinate = z(
        batchMeans.map((m) => m[k]),
        exact[k],
      );
      assert.ok(
        Math.abs(coordinate.z) < 4,
        `coordinate ${k}: Monte-Carlo ${coordinate.mean}, exact ${exact[k]}, z = ${coordinate.z.toFixed(2)}`,
      );
    }
  });
