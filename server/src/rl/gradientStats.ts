/**
 * The numbers of design §3 for one batch of N per-episode gradients g_i (a training update).
 *
 * Without a baseline the g_i are i.i.d. and the table's forms are unbiased:
 *
 *   ĝ          = (1/N) Σ_i g_i                         the batch estimate of ∇J
 *   traceCov   = (1/(N−1)) Σ_i ‖g_i − ĝ‖²              variance of a one-episode estimate
 *   gradNormSq = ‖ĝ‖² − traceCov/N                     unbiased ‖∇J‖²  (E‖ĝ‖² = ‖∇J‖² + traceCov/N)
 *   snr        = gradNormSq / (traceCov/N)             signal over noise of the batch estimate
 *   noiseScale = traceCov / gradNormSq                 batch size at which signal and noise balance
 *
 * The leave-one-out mean baseline couples the g_i of a batch (E⟨g_i, g_j⟩ = ‖∇J‖² + Q/(N−1)²),
 * which biases those forms at small N (a two-armed bandit at N = 2 gives traceCov ≡ 0 and
 * twice ‖∇J‖²). So ‖∇J‖² is taken from the baseline-free column G, whose g_i are i.i.d.
 * (the baseline does not change E[g]), and the noise from the batch estimate itself:
 *
 *   c          = ‖ḡ_G‖² − traceCov_G/N                 unbiased ‖∇J‖² (may be < 0: kept unclamped)
 *   traceCov   = (1/N) Σ_i ‖g_i‖² − c                  E‖g₁‖² − ‖∇J‖², the variance of one episode's estimate
 *   V_N        = ‖ĝ‖² − c                              tr Var(ĝ), coupling and the baseline's own noise included
 *   snr        = max(c, 0) / V_N,    noiseScale = N·V_N / c
 *
 * With independent g_i these reduce to the table above. The probe measures the same way
 * over several batches (`probeStats.ts`).
 */
import type { GradientStats, SnrAt } from "../protocol";
import type { GradientMoments } from "./gradientMoments";

/** Which columns of a gradient pass hold Ψ as configured, G, and G minus the leave-one-out mean. */
export interface StatsColumns {
  stats: number;
  none: number;
  mean: number;
}

/** The statistics of one batch of n episodes from its gradient pass (see the file comment). */
export function batchGradientStats(n: number, m: GradientMoments, cols: StatsColumns): GradientStats {
  const c = n > 1 ? m.meanNormSq[cols.none] - m.traceCov[cols.none] / n : 0;
  const secondMoment = ((n - 1) * m.traceCov[cols.stats] + n * m.meanNormSq[cols.stats]) / n;
  const variance = (col: number) => m.meanNormSq[col] - c;
  return statsOf(n, c, secondMoment - c, variance(cols.stats), batchReduction(variance(cols.mean), variance(cols.none)));
}

/**
 * GradientStats from estimates: ‖∇J‖² (unclamped) `c`, the one-episode `traceCov`, and V_n, the
 * variance of the batch estimate at `n` episodes.
 */
export function statsOf(n: number, c: number, traceCov: number, batchVariance: number, baselineReduction: number | null): GradientStats {
  const gradNormSq = Math.max(c, 0);
  return {
    episodes: n,
    // Unclamped: an unbiased estimate may fall below 0 on a tiny batch (a clamp would bias it).
    traceCov,
    gradNormSq,
    gradNormSqUnclamped: c,
    batchVariance,
    snr: batchVariance > 0 ? gradNormSq / batchVariance : null,
    noiseScale: gradNormSq > 0 && batchVariance > 0 ? (n * batchVariance) / gradNormSq : null,
    baselineReduction,
  };
}

/**
 * The noise scale averaged over updates (McCandlish et al. 2018): exponential moving averages
 * of the per-episode noise N·tr Var(ĝ) and of the unclamped ‖∇J‖², and their ratio. One
 * batch's ratio of two noisy estimates is biased upward and heavy-tailed (and a clamp at 0
 * adds to it); averaging first keeps both unbiased. Both averages start at 0 and carry the
 * same weights, so their ratio needs no start-up correction.
 */
export class AveragedNoiseScale {
  private noise = 0;
  private signal = 0;
  constructor(private readonly decay = 0.9) {}

  add(g: GradientStats): number | null {
    if (g.batchVariance === undefined || g.gradNormSqUnclamped === undefined) return g.noiseScale;
    this.noise = this.decay * this.noise + (1 - this.decay) * g.episodes * g.batchVariance;
    this.signal = this.decay * this.signal + (1 - this.decay) * g.gradNormSqUnclamped;
    return this.signal > 0 ? this.noise / this.signal : null;
  }
}

/** The same measurement's SNR for a batch of `episodes`, at the per-episode noise it measured. */
export function snrAt(g: GradientStats, episodes: number): SnrAt {
  return { episodes, snr: g.noiseScale === null ? (g.snr === null ? null : 0) : episodes / g.noiseScale, noiseScale: g.noiseScale };
}

/** 1 − tr Var(ĝ with the mean baseline) / tr Var(ĝ without), on the same episodes. */
export function batchReduction(withMean: number, withNone: number): number | null {
  return withNone > 0 ? 1 - withMean / withNone : null;
}

/** traceCov and ‖ĝ‖² of explicit gradient vectors (tests and the exact enumeration use this). */
export function vectorMoments(
  vectors: ArrayLike<number>[],
  probabilities?: ArrayLike<number>,
): { mean: Float64Array; traceCov: number; meanNormSq: number } {
  const n = vectors.length;
  const dim = vectors[0]?.length ?? 0;
  const mean = new Float64Array(dim);
  const weight = (i: number) => (probabilities ? probabilities[i] : 1 / n);
  for (let i = 0; i < n; i++) for (let k = 0; k < dim; k++) mean[k] += weight(i) * vectors[i][k];
  let spread = 0;
  for (let i = 0; i < n; i++) {
    let d2 = 0;
    for (let k = 0; k < dim; k++) d2 += (vectors[i][k] - mean[k]) ** 2;
    spread += weight(i) * d2;
  }
  // Sample variance (1/(N−1)) for samples; the population variance for an exact distribution.
  const traceCov = probabilities ? spread : (spread * n) / Math.max(n - 1, 1);
  let meanNormSq = 0;
  for (let k = 0; k < dim; k++) meanNormSq += mean[k] ** 2;
  return { mean, traceCov, meanNormSq };
}
