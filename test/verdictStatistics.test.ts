/**
 * The statistics the diagnostics rest on, against closed forms and against the cases where
 * the earlier forms were wrong: the leave-one-out coupling at small N, the baseline's own
 * noise at episodesPerUpdate, independence claimed on a real dependence, "exact" claimed for
 * a reward with rare randomness, term shares of another Ψ than the one reported, and a reward
 * that is 0 everywhere. Tolerances are standard errors of the Monte-Carlo estimates.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadInProcess } from "../bench/harness";
import { checkEnvironment } from "../server/src/api";
import { testActionIndependence } from "../server/src/rl/actionIndependence";
import { describeEnvironment } from "../server/src/rl/envSpec";
import { enumerate, exactGradient } from "../server/src/rl/exact";
import { AveragedNoiseScale } from "../server/src/rl/gradientStats";
import { Reinforce } from "../server/src/rl/reinforce";
import { LockstepRollout } from "../server/src/rl/rollout";
import { resolveSettings } from "../server/src/rl/settings";
import { tf } from "../server/src/rl/tf";
import { makeRng } from "../server/src/runtime/index";
import { example, fixture, lineOf } from "./helpers";
import * as fs from "node:fs";

test("at N = 2 on a two-armed bandit with the leave-one-out mean, traceCov and gradNormSq are unbiased", async () => {
  // Arms pay 0 and 1, π uniform, a linear policy on one one-hot state: the score of arm a is s(a) = (e_a − ½)
  // for the weights and again for the bias, so ‖s(a)‖² = 1, ∇J = ½ s(1) and ‖∇J‖² = ¼. With one other
  // episode as the baseline, Ψ = f(a) − f(b): g₁ = s(a)(f(a) − f(b)), ‖g₁‖² = 1 when the arms differ (p = ½),
  // so the one-episode variance is E‖g₁‖² − ‖∇J‖² = ½ − ¼ = ¼. (The earlier forms gave traceCov ≡ 0 here:
  // both g_i of a batch are the same vector; and gradNormSq = ‖ĝ‖², twice ‖∇J‖².)
  const { user } = await loadInProcess(fixture("two-arm-bandit.rl.ts"), "cpu");
  const spec = describeEnvironment(user.create());
  const settings = resolveSettings(user.training, { episodesPerUpdate: 2, baseline: "mean" });
  const agent = new Reinforce(spec, settings);
  const rollout = new LockstepRollout(user, spec, 2, 0, { cancelled: false });
  const rng = makeRng("unbiased-at-2");
  const R = 4000;
  const traceCov: number[] = [];
  const gradNormSq: number[] = [];
  for (let r = 0; r < R; r++) {
    const batch = rollout.collect(agent.policy, rng);
    assert.ok(batch);
    const { gradient, moments } = agent.measure(batch);
    tf.dispose(moments.step);
    traceCov.push(gradient.traceCov);
    gradNormSq.push(gradient.gradNormSqUnclamped as number);
  }
  agent.dispose();
  for (const [name, xs, truth] of [
    ["traceCov", traceCov, 0.25],
    ["gradNormSq", gradNormSq, 0.25],
  ] as const) {
    const mean = xs.reduce((s, x) => s + x, 0) / R;
    const se = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / (R - 1) / R);
    assert.ok(Math.abs(mean - truth) < 4 * se, `${name}: mean ${mean} ± ${se}, truth ${truth}`);
  }
});

test("the SNR at episodesPerUpdate counts the leave-one-out baseline's own noise at that N", async () => {
  // Three arms paying 0, 1, 2 (π uniform, linear policy, ‖s(a)‖² = 4/3, ‖∇J‖² = 4/9, σ² = Var f = 2/3). With
  // the mean of n − 1 others as the baseline, E[Ψ²|a] = (f(a) − 1)² + σ²/(n − 1), so at n = 6
  //   Var g₁ = (4/3)·(1/3)·(2 + 3·(2/3)/5) − 4/9 = 28/45,   Cov(g₁, g₂) = ‖∇J‖²/(n − 1)² = 4/225,
  //   tr Var(ĝ) = Var g₁/6 + (5/6) Cov = 0.11852,   SNR = (4/9)/0.11852 = 3.75.
  // Rescaling the one-episode variance of a large sample (4/9, the baseline's noise gone) to n = 6 says 6.
  const r = await checkEnvironment(fixture("baseline-recommended.rl.ts"), {
    backend: "cpu",
    episodes: 3000,
    settings: { episodesPerUpdate: 6, baseline: "mean" },
  });
  const at = r.summary?.atEpisodesPerUpdate;
  assert.ok(at && at.snr !== null && at.snrInterval);
  const truth = 4 / 9 / (28 / 45 / 6 + (5 / 6) * (4 / 225));
  assert.ok(Math.abs(truth - 3.75) < 1e-3);
  const se = (at.snrInterval[1] - at.snrInterval[0]) / (2 * 1.96);
  assert.ok(Math.abs(at.snr - truth) < 4 * se, `SNR ${at.snr} ± ${se}, truth ${truth}`);
  assert.ok(Math.abs(at.snr - 6) > 4 * se, "the rescaled form is rejected");
});

test("reward-action-independent is not claimed for a narrow band of a wide Box that π hits", async () => {
  // π = N(0, 1) hits |a| < 0.5 with probability 38%; uniform draws over [−100, 100] with 0.5%.
  const { user } = await loadInProcess(fixture("box-narrow-band.rl.ts"), "cpu");
  const spec = describeEnvironment(user.create());
  const result = testActionIndependence(user, spec, { kind: "box", mean: [0], std: [1] });
  assert.equal(result.independent, false);
  const r = await checkEnvironment(fixture("box-narrow-band.rl.ts"), { backend: "cpu" });
  assert.ok(!r.diagnostics.some((d) => d.code === "reward-action-independent"), JSON.stringify(r.diagnostics));
});

test("reward-action-independent is not claimed for a reward paid after step 200: replays run to the episode's end", async () => {
  const { user } = await loadInProcess(fixture("late-reward.rl.ts"), "cpu");
  const spec = describeEnvironment(user.create());
  const result = testActionIndependence(user, spec, { kind: "discrete", probabilities: [0.5, 0.5] });
  assert.equal(result.independent, false);
  const r = await checkEnvironment(fixture("late-reward.rl.ts"), { backend: "cpu" });
  assert.deepEqual(
    r.diagnostics.map((d) => d.code),
    ["never-terminates"],
  );
});

test("no exact values for a reward with a rare jackpot drawn from this.rng(), though 32 replays per arm never see it", async () => {
  const r = await checkEnvironment(fixture("jackpot-bandit.rl.ts"), { backend: "cpu" });
  assert.ok(r.stats);
  assert.equal(r.stats.exact, null);
  // The same arms without the jackpot are enumerable: the exact values are claimed there.
  const plain = await checkEnvironment(example("bandit.rl.ts"), { backend: "cpu" });
  assert.ok(plain.stats?.exact);
});

test("with the value baseline, term shares split the Ψ the statistics describe (at the probe, V = 0: Ψ = G)", async () => {
  const value = await checkEnvironment(example("gridworld.rl.ts"), { backend: "cpu", settings: { baseline: "value" } });
  const none = await checkEnvironment(example("gridworld.rl.ts"), { backend: "cpu", settings: { baseline: "none" } });
  assert.ok(value.summary && none.summary);
  const shares = (s: typeof value.summary) => Object.fromEntries((s?.terms ?? []).map((t) => [t.name, t.varianceShare]));
  const a = shares(value.summary);
  const b = shares(none.summary);
  assert.deepEqual(Object.keys(a), Object.keys(b));
  for (const name of Object.keys(a)) assert.ok(Math.abs(a[name] - b[name]) < 1e-6, `${name}: ${a[name]} vs ${b[name]}`);
  assert.ok(Math.abs(Object.values(a).reduce((s, v) => s + v, 0) - 1) < 1e-6);
});

test("a reward that is 0 on every sampled step is reward-constant, not reward-sparse", async () => {
  const file = fixture("reward-zero.rl.ts");
  const r = await checkEnvironment(file, { backend: "cpu" });
  assert.deepEqual(
    r.diagnostics.map((d) => [d.code, d.range.start.line]),
    [["reward-constant", lineOf(fs.readFileSync(file, "utf8"), "MARK: reward")]],
  );
  assert.match(r.diagnostics[0].message, /every sampled reward is 0/);
});

test("the noise scale shown in training averages its numerator and denominator over updates before the ratio", async () => {
  // A fixed policy (no step taken) on the bandit example (arms 0.2, 0.5, 1, 0.1; linear policy, uniform π), batches
  // of n = 4 with the leave-one-out mean. The truth, by enumeration: B = n·tr Var(ĝ)/‖∇J‖², tr Var(ĝ) = Var g₁/n +
  // ((n−1)/n)·‖∇J‖²/(n−1)² (one-step episodes). Averaging one batch's ratio is biased; the average-then-ratio is not.
  const { user } = await loadInProcess(example("bandit.rl.ts"), "cpu");
  const spec = describeEnvironment(user.create());
  const n = 4;
  const settings = resolveSettings(user.training, { episodesPerUpdate: n, baseline: "mean" });
  const agent = new Reinforce(spec, settings);
  const enumeration = enumerate(user, spec);
  assert.ok(enumeration);
  const exact = exactGradient(agent.policy, spec, enumeration, "mean", n);
  const truth = (n * (exact.traceCov / n + ((n - 1) / n) * (exact.gradNormSq / (n - 1) ** 2))) / exact.gradNormSq;
  const rollout = new LockstepRollout(user, spec, n, 0, { cancelled: false });
  const rng = makeRng("averaged-noise-scale");
  const R = 3000;
  // A decay this close to 1 weighs the R updates almost equally: the ratio of means below, whose error is known.
  const averaged = new AveragedNoiseScale(1 - 1e-6);
  const noise: number[] = [];
  const signal: number[] = [];
  const perBatch: number[] = [];
  let last: number | null = null;
  for (let r = 0; r < R; r++) {
    const batch = rollout.collect(agent.policy, rng);
    assert.ok(batch);
    const { gradient, moments } = agent.measure(batch);
    tf.dispose(moments.step);
    last = averaged.add(gradient);
    noise.push(n * (gradient.batchVariance as number));
    signal.push(gradient.gradNormSqUnclamped as number);
    if (gradient.noiseScale !== null) perBatch.push(gradient.noiseScale);
  }
  agent.dispose();
  // The ratio of means R̂ = mean(noise)/mean(signal): its standard error by the delta method.
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const [mn, ms] = [mean(noise), mean(signal)];
  const ratio = mn / ms;
  const residual = noise.map((x, k) => x - ratio * signal[k]);
  const se = Math.sqrt(mean(residual.map((x) => x * x)) / R) / ms;
  assert.ok(last !== null && Math.abs(last - truth) < 4 * se, `averaged ${last}, truth ${truth} ± ${se}`);
  const sorted = [...perBatch].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)];
  // Averaging one batch's ratios (undefined where its ‖∇J‖² estimate is not above 0) misses the truth by far more.
  assert.ok(Math.abs(mean(perBatch) - truth) > 4 * se, `one batch's ratio: mean ${mean(perBatch)}, median ${median}, truth ${truth}`);
});
