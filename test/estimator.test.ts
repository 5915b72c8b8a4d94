/**
 * The estimator is right: the Monte-Carlo REINFORCE gradient (the seed's last formula)
 * agrees with the exact enumerated gradient (its first formula) within 3 standard
 * errors, and the reported traceCov matches its closed form at the uniform policy.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadInProcess } from "../bench/harness";
import { describeEnvironment } from "../server/src/rl/envSpec";
import { enumerate, exactGradient } from "../server/src/rl/exact";
import { episodeGradients, padBatch } from "../server/src/rl/episodeGradients";
import { flattenColumn } from "../server/src/rl/gradientPass";
import { Reinforce } from "../server/src/rl/reinforce";
import { LockstepRollout } from "../server/src/rl/rollout";
import { resolveSettings } from "../server/src/rl/settings";
import { makeRng } from "../server/src/runtime/index";
import { tf } from "../server/src/rl/tf";
import { checkEnvironment } from "../server/src/api";
import { BACKENDS, example } from "./helpers";

const BANDIT_REWARDS = [0.2, 0.5, 1.0, 0.1]; // examples/bandit.rl.ts
const SEEDS = 20;
const EPISODES = 2000;

for (const backend of BACKENDS) {
  for (const hidden of [[], [8]]) {
    test(`Monte-Carlo gradient is within 3 standard errors of the exact gradient, ${SEEDS} seeds (hidden ${JSON.stringify(hidden)}, ${backend})`, async () => {
      const { user, guard } = await loadInProcess(example("bandit.rl.ts"), backend);
      const settings = resolveSettings(user.training, {
        baseline: "none",
        policy: { hidden, activation: "tanh" },
        learningRate: 0.05,
        seed: 7,
      });
      const spec = describeEnvironment(user.create());
      const agent = new Reinforce(spec, settings);
      const warmup = new LockstepRollout(user, spec, 16, 0, guard);
      // A few updates first, so the policy (and for [8] the hidden layer's gradient) is not at its symmetric start.
      for (let u = 0; u < 3; u++) agent.update(warmup.collect(agent.policy, makeRng("warmup" + u))!);

      const enumeration = enumerate(user, spec);
      assert.ok(enumeration, "the bandit is enumerable");
      assert.deepEqual(enumeration.rewards, BANDIT_REWARDS);
      const exact = exactGradient(agent.policy, spec, enumeration, "none", EPISODES).gradient;
      // The 3-standard-error bound rests on the central limit theorem: every arm must be sampled often.
      const logits = agent.policy.predict(enumeration.start, 1);
      const pi = Array.from(logits, (l) => Math.exp(l)).map((v, _k, all) => v / all.reduce((s, x) => s + x, 0));
      assert.ok(Math.min(...pi) * EPISODES >= 100, `π = ${pi}: some arm is too rare for the normal approximation`);
      const norm = Math.hypot(...exact);
      assert.ok(norm > 1e-3, "the exact gradient is not zero");
      const u = Array.from(exact, (v) => v / norm);

      const rollout = new LockstepRollout(user, spec, EPISODES, 1000, guard);
      for (let seed = 0; seed < SEEDS; seed++) {
        const batch = rollout.collect(agent.policy, makeRng(`estimator/${seed}`))!;
        const cols = agent.weightColumns(batch);
        const padded = padBatch(batch, spec, cols.columns);
        const grads = episodeGradients(agent.policy, padded);
        const vectors = flattenColumn(grads, cols.none);
        tf.dispose(grads.tensors);
        // Project on the exact gradient's direction: z = (mean(u·g_i) − u·∇J) / (sd(u·g_i)/√N).
        const proj = vectors.map((g) => g.reduce((s, v, k) => s + v * u[k], 0));
        const mean = proj.reduce((s, v) => s + v, 0) / proj.length;
        const sd = Math.sqrt(proj.reduce((s, v) => s + (v - mean) ** 2, 0) / (proj.length - 1));
        const z = (mean - norm) / (sd / Math.sqrt(proj.length));
        assert.ok(Math.abs(z) < 3, `seed ${seed}: z = ${z.toFixed(2)} (mean ${mean}, exact ${norm})`);
      }
      agent.dispose();
    });
  }

  test(`reported traceCov matches the closed form at the uniform start within 5% (${backend})`, async () => {
    // Linear softmax over a one-hot single state x = [1]: θ = (W, b), ∇log π(a) = (e_a − π) for W and for b.
    // With π uniform over K arms, g_a = f(a)(e_a − π) twice, so
    //   E‖g‖² = 2 (K−1)/K · mean_a f(a)²,   ∇J = 2 copies of (f − f̄)/K,   traceCov = E‖g‖² − ‖∇J‖².
    const K = BANDIT_REWARDS.length;
    const f = BANDIT_REWARDS;
    const fbar = f.reduce((s, v) => s + v, 0) / K;
    const g = f.map((fa, a) => {
      const half = Array.from({ length: K }, (_, k) => fa * ((k === a ? 1 : 0) - 1 / K));
      return [...half, ...half];
    });
    const mu = Array.from({ length: 2 * K }, (_, k) => g.reduce((s, ga) => s + ga[k], 0) / K);
    const d2 = g.map((ga) => ga.reduce((s, v, k) => s + (v - mu[k]) ** 2, 0));
    const traceCov = d2.reduce((s, v) => s + v, 0) / K;
    assert.ok(
      Math.abs(
        traceCov - (2 * ((K - 1) / K) * (f.reduce((s, v) => s + v * v, 0) / K) - (2 * f.reduce((s, v) => s + (v - fbar) ** 2, 0)) / K ** 2),
      ) < 1e-12,
    );

    // The sample traceCov averages ‖g_i − ĝ‖², whose variance is Var(d²): pick N so that 5% is 4 standard errors.
    const varD2 = d2.reduce((s, v) => s + v * v, 0) / K - traceCov ** 2;
    const N = Math.ceil(((4 * Math.sqrt(varD2)) / (0.05 * traceCov)) ** 2 / 100) * 100;
    const se = Math.sqrt(varD2 / N);
    assert.ok(0.05 * traceCov >= 4 * se, `N = ${N} gives a standard error of ${se} against a 5% tolerance of ${0.05 * traceCov}`);

    const result = await checkEnvironment(example("bandit.rl.ts"), {
      backend,
      episodes: N,
      settings: { baseline: "none", policy: { hidden: [], activation: "relu" }, seed: 3 },
    });
    assert.equal(result.diagnostics.filter((d) => d.severity === "error").length, 0);
    assert.ok(result.stats);
    const reported = result.stats.gradient.traceCov;
    assert.ok(Math.abs(reported - traceCov) / traceCov < 0.05, `reported ${reported}, analytic ${traceCov}`);
    // The enumeration reproduces the closed form exactly (up to float32).
    assert.ok(result.stats.exact);
    assert.ok(Math.abs(result.stats.exact.traceCov - traceCov) / traceCov < 1e-5, `exact ${result.stats.exact.traceCov}`);
    const gradNormSq = mu.reduce((s, v) => s + v * v, 0);
    assert.ok(Math.abs(result.stats.exact.gradNormSq - gradNormSq) / gradNormSq < 1e-5);
  });
}
