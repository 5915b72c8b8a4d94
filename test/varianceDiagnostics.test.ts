/**
 * The gradient-noise threshold and baselineReduction against a bandit computed by hand,
 * and the rules' thresholds on hand-made reports.
 *
 * test/fixtures/baseline-recommended.rl.ts: one state (x = [1], one-hot), arms a ∈ {0, 1, 2}
 * paying f(a) = a, a linear softmax policy (hidden: []) starting uniform, π(a) = 1/3.
 * With θ = (W, b), ∇log π(a) = (e_a − π) for W and again for b, and ‖e_a − π‖² = 2/3. So
 *   g_a = Ψ(a)(e_a − π) twice;   ∇J = Σ_a π(a) f(a)(e_a − π) twice = (−1, 0, 1)/3 twice, ‖∇J‖² = 4/9;
 *   no baseline:   E‖g‖² = 2 · (2/3) · E[f²] = (4/3)(5/3) = 20/9,  traceCov = 20/9 − 4/9 = 16/9;
 *   mean baseline: Ψ = f − 1,  E‖g‖² = (4/3)(2/3) = 8/9,  traceCov = 8/9 − 4/9 = 4/9;
 *   baselineReduction = 1 − (4/9)/(16/9) = 3/4;  with no baseline, noiseScale = (16/9)/(4/9) = 4,
 *   snr at N episodes per update = N/4: below 1 for N ≤ 3, above for N ≥ 5.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkEnvironment } from "../server/src/api";
import { probeDiagnostics } from "../server/src/check/rules";
import { findSourcePlaces } from "../server/src/check/sourcePlaces";
import { rewardHoverMarkdown } from "../server/src/check/hover";
import type { ProbeReport } from "../server/src/rl/probeReport";
import { fixture } from "./helpers";

const TRACE_COV_NONE = 16 / 9;
const TRACE_COV_MEAN = 4 / 9;
const GRAD_NORM_SQ = 4 / 9;
const N = 20_000;

/** Standard errors at N episodes, from the exact distribution of g (3 atoms), so tolerances follow from the math. */
function standardErrors() {
  const third = 1 / 3;
  const atoms = [0, 1, 2].map((a) => [0, 1, 2].map((k) => (k === a ? 1 : 0) - third));
  const moments = (psi: (a: number) => number) => {
    const g = atoms.map((e, a) => [...e, ...e].map((v) => v * psi(a)));
    const mu = [0, 1, 2, 3, 4, 5].map((k) => g.reduce((s, ga) => s + ga[k] * third, 0));
    const d2 = g.map((ga) => ga.reduce((s, v, k) => s + (v - mu[k]) ** 2, 0));
    const tc = d2.reduce((s, v) => s + v * third, 0);
    return { tc, seTc: Math.sqrt((d2.reduce((s, v) => s + v * v * third, 0) - tc * tc) / N) };
  };
  const none = moments((a) => a);
  const mean = moments((a) => a - 1);
  // gradNormSq = ‖ĝ‖² − tc/N: standard error ≈ √(4‖∇J‖² tc/N + 2(tc/N)²).
  const seGrad = Math.sqrt((4 * GRAD_NORM_SQ * none.tc) / N + 2 * (none.tc / N) ** 2);
  return { none, mean, seGrad };
}

test("the hand-computed moments are what the closed forms say", () => {
  const { none, mean } = standardErrors();
  assert.ok(Math.abs(none.tc - TRACE_COV_NONE) < 1e-12);
  assert.ok(Math.abs(mean.tc - TRACE_COV_MEAN) < 1e-12);
});

test("gradient-noise fires below SNR 1 and states SNR and noise scale; the baseline's reduction is stated at episodesPerUpdate", async () => {
  const { none, mean, seGrad } = standardErrors();
  // Relative standard errors of the estimates (delta method), and tolerances of 4 of them.
  const relTc = none.seTc / none.tc;
  const relGrad = seGrad / GRAD_NORM_SQ;
  const tolNoiseScale = 4 * Math.hypot(relTc, relGrad);

  const noisy = await checkEnvironment(fixture("baseline-recommended.rl.ts"), {
    backend: "cpu",
    episodes: N,
    settings: { episodesPerUpdate: 2, seed: 11 },
  });
  const g = noisy.stats?.gradient;
  const perUpdate = noisy.stats?.atEpisodesPerUpdate;
  assert.ok(g && g.snr !== null && g.noiseScale !== null && g.baselineReduction !== null);
  assert.ok(perUpdate && perUpdate.snr !== null);
  // Every statistic states its N: the gradient's at the probe's N, the SNR also at one update's N.
  assert.equal(g.episodes, N);
  assert.equal(noisy.stats?.episodes, N);
  assert.equal(perUpdate.episodes, 2);
  assert.ok(Math.abs(g.snr / perUpdate.snr - N / 2) < 1e-6 * (N / 2), "snr scales with N");
  assert.ok(Math.abs(g.traceCov - TRACE_COV_NONE) / TRACE_COV_NONE < 4 * relTc, `traceCov ${g.traceCov}`);
  assert.ok(Math.abs(g.noiseScale - 4) / 4 < tolNoiseScale, `noiseScale ${g.noiseScale}, tolerance ${tolNoiseScale}`);
  assert.ok(Math.abs(perUpdate.snr - 0.5) / 0.5 < tolNoiseScale, `snr at N = 2: ${perUpdate.snr}`);
  // With one other episode in a batch of 2, the leave-one-out mean carries the whole reward variance σ² = 2/3:
  // E[Ψ²|a] = (f(a) − 1)² + σ², so Var g₁ = (4/9)(2 + 3σ²) − 4/9 = 4/3 and, coupled, Cov(g₁, g₂) = ‖∇J‖²/(2−1)² = 4/9:
  // tr Var(ĝ) = (4/3)/2 + (4/9)/2 = 8/9 = (16/9)/2, the baseline-free batch's. At 2 episodes per update it removes nothing.
  const interval = noisy.summary?.baselineReductionInterval;
  assert.ok(interval);
  assert.ok(
    interval[0] - (interval[1] - interval[0]) / 2 < 0 && 0 < interval[1] + (interval[1] - interval[0]) / 2,
    `baselineReduction ${g.baselineReduction} in ${interval}`,
  );
  assert.ok(mean.tc < none.tc);

  const codes = noisy.diagnostics.map((d) => d.code).sort();
  assert.deepEqual(codes, ["gradient-noise"]);
  const noise = noisy.diagnostics.find((d) => d.code === "gradient-noise")?.message ?? "";
  assert.match(noise, /SNR 0\.\d+ \(95% interval [\d.]+–[\d.]+\) at episodesPerUpdate = 2/);
  assert.match(noise, /about [45] episodes per update/);

  // At 8 episodes per update the SNR is 2: no gradient-noise; the baseline advice stays.
  const fine = await checkEnvironment(fixture("baseline-recommended.rl.ts"), {
    backend: "cpu",
    episodes: N,
    settings: { episodesPerUpdate: 8, seed: 11 },
  });
  assert.deepEqual(
    fine.diagnostics.map((d) => d.code),
    ["baseline-recommended"],
  );
  // With the mean baseline, nothing to advise.
  const withMean = await checkEnvironment(fixture("baseline-recommended.rl.ts"), {
    backend: "cpu",
    episodes: 2000,
    settings: { baseline: "mean" },
  });
  assert.deepEqual(withMean.diagnostics, []);
});

/** A report with the given gradient numbers on an otherwise healthy environment. */
function report(over: {
  stepsDeterministic?: boolean;
  snr?: number | null;
  noiseScale?: number | null;
  baselineReduction?: number | null;
  baseline?: "none" | "mean";
  episodes?: number;
  /** 95% intervals; absent: ±20% around the value; null: too few batches to tell. */
  snrInterval?: [number, number] | null;
  baselineReductionInterval?: [number, number] | null;
}): ProbeReport {
  const episodes = over.episodes ?? 256;
  const snr = over.snr ?? 5;
  const noiseScale = over.noiseScale ?? 3;
  const reduction = over.baselineReduction ?? 0.1;
  const around = (x: number): [number, number] => [0.8 * x, 1.2 * x];
  const snrInterval = over.snrInterval === undefined ? around(snr) : over.snrInterval;
  return {
    stats: {
      episodes,
      returnMean: 1,
      returnStd: 1,
      gradient: {
        episodes,
        traceCov: 1,
        gradNormSq: 1,
        gradNormSqUnclamped: 1,
        snr: (snr * episodes) / 16,
        noiseScale,
        baselineReduction: reduction,
      },
      atEpisodesPerUpdate: { episodes: 16, snr, noiseScale },
      exact: null,
      confidence: { batches: episodes / 16, batchSize: 16, gradNormSq: null, traceCov: null },
    },
    summary: {
      episodes,
      batches: episodes / 16,
      batchSize: 16,
      rewards: { mean: 1, std: 1, min: 0, max: 2 },
      returns: { mean: 1, std: 1, min: 0, max: 2 },
      atEpisodesPerUpdate: {
        episodes: 16,
        snr,
        noiseScale,
        snrInterval,
        noiseScaleInterval: snrInterval ? [16 / snrInterval[1], 16 / snrInterval[0]] : null,
      },
      baselineReduction: reduction,
      baselineReductionInterval:
        over.baselineReductionInterval === undefined ? [reduction - 0.05, reduction + 0.05] : over.baselineReductionInterval,
      terms: [],
    },
    facts: {
      episodesPerUpdate: 16,
      baseline: over.baseline ?? "mean",
      milliseconds: 100,
      maxEpisodeSteps: 1,
      endedEpisodes: episodes,
      constantReward: null,
      nonZeroReturnEpisodes: episodes,
      actionIndependent: false,
      actionIndependenceEpisodes: 16,
      resetDeterministic: true,
      resetReseedsRng: true,
      resetIgnoresSeed: false,
      stepsDeterministic: over.stepsDeterministic ?? true,
    },
  };
}

const places = findSourcePlaces("x.rl.ts", "export default class X extends Environment {}\nexport function reward() { return 1; }\n");
const codes = (r: ProbeReport) => probeDiagnostics(r, "x.rl.ts", places).map((d) => d.code);

test("gradient-noise exactly when the SNR's 95% interval lies below 1, with the noise scale and its interval as the batch size", () => {
  assert.deepEqual(codes(report({ snr: 0.8, noiseScale: 20, snrInterval: [0.6, 0.99] })), ["gradient-noise"]);
  // An estimate below 1 whose interval reaches 1 is not evidence: no warning.
  assert.deepEqual(codes(report({ snr: 0.8, noiseScale: 20, snrInterval: [0.6, 1.01] })), []);
  assert.deepEqual(codes(report({ snr: 1.0 })), []);
  const [d] = probeDiagnostics(report({ snr: 0.5, noiseScale: 31.5, snrInterval: [0.4, 0.64] }), "x.rl.ts", places);
  assert.match(d.message, /SNR 0\.5 \(95% interval 0\.4–0\.64\) at episodesPerUpdate = 16/);
  assert.match(d.message, /noise scale is 31\.5 \(25–40\)/);
  assert.match(d.message, /about 32 episodes per update/);
  assert.equal(d.range.start.line, 1, "placed on the reward function");
});

test("baseline-recommended only without a baseline and when the reduction's 95% interval is above 30%", () => {
  assert.deepEqual(codes(report({ baseline: "none", baselineReduction: 0.4, baselineReductionInterval: [0.31, 0.49] })), [
    "baseline-recommended",
  ]);
  assert.deepEqual(codes(report({ baseline: "none", baselineReduction: 0.4, baselineReductionInterval: [0.29, 0.51] })), []);
  assert.deepEqual(codes(report({ baseline: "mean", baselineReduction: 0.9 })), []);
});

test("without intervals (too few batches to tell) no statistical warning is published", () => {
  assert.deepEqual(
    codes(report({ snr: 0.1, snrInterval: null, baseline: "none", baselineReduction: 0.9, baselineReductionInterval: null })),
    [],
  );
});

test("reward hover data shows the summary and the per-term shares", async () => {
  const r = await checkEnvironment(fixture("reward-term-dominates.rl.ts"), { backend: "cpu", episodes: 512 });
  assert.ok(r.summary);
  const names = r.summary.terms.map((t) => t.name);
  assert.deepEqual(names, ["task", "bonus"]);
  const shares = r.summary.terms.map((t) => t.varianceShare);
  assert.ok(Math.abs(shares[0] + shares[1] - 1) < 1e-4, `shares sum to 1: ${shares}`);
  assert.ok(r.summary.rewards.max === 12 && r.summary.rewards.min === 0, JSON.stringify(r.summary.rewards));
  const md = rewardHoverMarkdown(r.summary);
  assert.match(md, /reward per step/);
  assert.match(md, /`bonus` \| [\d.]+ \| \d+% \|/);
  assert.match(md, /gradient SNR at 16 episodes\/update/);
});

test("noise from outside this.rng() is its own warning, not a note inside gradient-noise ", () => {
  const diagnostics = probeDiagnostics(
    report({ snr: 0.2, noiseScale: 80, snrInterval: [0.1, 0.3], stepsDeterministic: false }),
    "x.rl.ts",
    places,
  );
  assert.deepEqual(
    diagnostics.map((d) => [d.code, d.severity]),
    [
      ["nondeterministic-reset", "warning"],
      ["gradient-noise", "warning"],
    ],
  );
  assert.match(diagnostics[0].message, /^step\(\) is not reproducible/);
  assert.doesNotMatch(diagnostics[1].message, /Math\.random|this\.rng/);
});
