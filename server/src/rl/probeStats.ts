/**
 * The probe's statistics (design §3) from batches formed exactly as training forms them:
 * K groups of n episodes (n = `episodesPerUpdate`), Ψ weighted with the baseline computed
 * inside each group. Within a group the leave-one-out mean couples the g_i; across groups
 * they are independent. That gives unbiased forms at any n:
 *
 *   S_k = Σ_{i∈k} g_i (leave-one-out-mean column),  M = Σ_k n_k
 *   c        = (‖Σ_k S_k‖² − Σ_k ‖S_k‖²) / (M² − Σ_k n_k²)     E[c] = ‖∇J‖²   (pairs from different groups)
 *   m₂       = (1/M) Σ_i ‖g_i‖²                               E[m₂] = E‖g₁‖²
 *   traceCov = m₂ − c                                          the variance of a one-episode estimate
 *   V_n      = (1/K) Σ_k ‖S_k/n‖² − c                          tr Var(ĝ) of a batch of n, baseline noise and coupling included
 *   snr at n = c / V_n,   noiseScale = n V_n / c
 *
 * c is taken from the leave-one-out-mean column whatever the configured baseline: every
 * column estimates the same ∇J, and that one has the least variance (taking it from the
 * baseline-free column, a three-armed bandit's c errs by more than the whole of V_n). Without
 * a baseline, or with a value baseline (a fixed V(s) within a batch), the g_i are i.i.d. and
 * V_n is simply the within-group variance over n, which needs no c.
 *
 * With one group (K = 1) nothing crosses groups: c comes from the baseline-free column,
 * whose g_i are i.i.d. (c = ‖ā‖² − tc_none/n). With independent g_i (no baseline) V_n is
 * traceCov/n and these are design §3's table; with the leave-one-out mean they differ by the
 * coupling E⟨g_i, g_j⟩ − ‖∇J‖² = Q/(n−1)², which the table's forms get wrong at small n.
 *
 * How sure: every number is a smooth function of the K group summaries, so its standard
 * error comes from the jackknife over groups (leave one group out, SE² = (K−1)/K Σ (θ₍₋ₖ₎ − θ̄)²),
 * and a 95% interval is θ ± t₀.₉₇₅,K−1 · SE. Below MIN_GROUPS groups there is no interval:
 * statistical warnings need one (design §3), so the hover says there are not enough episodes.
 */

/** What one group contributes: its summary, from one gradient pass over its n episodes. */
export interface GroupSummary {
  n: number;
  /** S_k = Σ_i g_i of the leave-one-out-mean column, all parameters flattened. */
  sum: Float64Array;
  /** The statistics' column (Ψ as configured) is the leave-one-out-mean column; otherwise its g_i are i.i.d. */
  coupled: boolean;
  /** ‖ĝ_k‖² of the statistics' column, the baseline-free column and the leave-one-out-mean column. */
  meanNormSq: { stats: number; none: number; mean: number };
  /** (1/(n−1)) Σ_i ‖g_i − ĝ_k‖² of the statistics' and the baseline-free column (0 when n = 1). */
  traceCov: { stats: number; none: number };
  /** Σ_i ‖g_i − ĝ_k‖² of the statistics' column, and Σ_i ⟨g_i^term − ĝ_k^term, g_i − ĝ_k⟩ per named term. */
  spread: number;
  termCross: Record<string, number>;
}

/** Fewer groups than this: no standard errors (the jackknife over 2 groups says little). */
export const MIN_GROUPS = 3;

export type Interval = [number, number];

export interface GroupEstimates {
  episodes: number;
  groups: number;
  /** Episodes per group: the n that `batchVariance` and `snrAtGroupSize` refer to. */
  groupSize: number;
  /** Unbiased ‖∇J‖² (may be negative: an estimate, unclamped). */
  gradNormSq: number;
  traceCov: number;
  /** tr Var(ĝ) of one batch of `groupSize` episodes. */
  batchVariance: number;
  /** Per-episode noise at that batch size: n · V_n (the noise scale's numerator). */
  effectiveTraceCov: number;
  baselineReduction: number | null;
  termShares: Record<string, number>;
}

export interface Uncertainty {
  gradNormSq: number | null;
  traceCov: number | null;
  /** Of the SNR at `groupSize`. */
  snr: number | null;
  baselineReduction: number | null;
  termShares: Record<string, number> | null;
  /** t₀.₉₇₅ for K − 1 degrees of freedom (null below MIN_GROUPS). */
  t: number | null;
}

/**
 * Sums over groups that the estimates are functions of. Leaving one group out subtracts its
 * part, so the jackknife's K estimates cost O(K·P) in all, not O(K²·P).
 */
interface Sums {
  K: number;
  /** Groups of the full size n, and their sums of ‖ĝ‖² per column and of the within-group variances. */
  full: number;
  M: number;
  sumN2: number;
  sumS2: number;
  total: Float64Array;
  totalNormSq: number;
  secondMoment: number;
  qStats: number;
  qMean: number;
  tcStats: number;
  tcNone: number;
  spread: number;
  terms: Record<string, number>;
}

function sumsOf(groups: readonly GroupSummary[]): Sums {
  const n = groups[0].n;
  const dim = groups[0].sum.length;
  const total = new Float64Array(dim);
  const s: Sums = {
    K: groups.length,
    full: 0,
    M: 0,
    sumN2: 0,
    sumS2: 0,
    total,
    totalNormSq: 0,
    secondMoment: 0,
    qStats: 0,
    qMean: 0,
    tcStats: 0,
    tcNone: 0,
    spread: 0,
    terms: {},
  };
  for (const name of Object.keys(groups[0].termCross)) s.terms[name] = 0;
  for (const g of groups) {
    s.M += g.n;
    s.sumN2 += g.n * g.n;
    s.sumS2 += normSq(g.sum);
    for (let d = 0; d < dim; d++) total[d] += g.sum[d];
    // Σ_i ‖g_i‖² = Σ_i ‖g_i − ĝ‖² + n‖ĝ‖².
    s.secondMoment += (g.n - 1) * g.traceCov.stats + g.n * g.meanNormSq.stats;
    s.spread += g.spread;
    for (const name of Object.keys(s.terms)) s.terms[name] += g.termCross[name] ?? 0;
    if (g.n === n) {
      s.full++;
      s.qStats += g.meanNormSq.stats;
      s.qMean += g.meanNormSq.mean;
      s.tcStats += g.traceCov.stats;
      s.tcNone += g.traceCov.none;
    }
  }
  s.totalNormSq = normSq(total);
  return s;
}

/** The sums without group k (its contribution subtracted; ‖T − S_k‖² = ‖T‖² − 2⟨T, S_k⟩ + ‖S_k‖²). */
function without(s: Sums, g: GroupSummary, n: number): Sums {
  const sk = normSq(g.sum);
  let dot = 0;
  for (let d = 0; d < g.sum.length; d++) dot += s.total[d] * g.sum[d];
  const isFull = g.n === n;
  const terms: Record<string, number> = {};
  for (const name of Object.keys(s.terms)) terms[name] = s.terms[name] - (g.termCross[name] ?? 0);
  return {
    ...s,
    K: s.K - 1,
    full: s.full - (isFull ? 1 : 0),
    M: s.M - g.n,
    sumN2: s.sumN2 - g.n * g.n,
    sumS2: s.sumS2 - sk,
    totalNormSq: s.totalNormSq - 2 * dot + sk,
    secondMoment: s.secondMoment - ((g.n - 1) * g.traceCov.stats + g.n * g.meanNormSq.stats),
    qStats: s.qStats - (isFull ? g.meanNormSq.stats : 0),
    qMean: s.qMean - (isFull ? g.meanNormSq.mean : 0),
    tcStats: s.tcStats - (isFull ? g.traceCov.stats : 0),
    tcNone: s.tcNone - (isFull ? g.traceCov.none : 0),
    spread: s.spread - g.spread,
    terms,
  };
}

function fromSums(s: Sums, n: number, coupled: boolean, single: GroupSummary): GroupEstimates {
  const c =
    s.K >= 2 && s.M * s.M > s.sumN2
      ? (s.totalNormSq - s.sumS2) / (s.M * s.M - s.sumN2)
      : single.meanNormSq.none - (n > 1 ? single.traceCov.none / n : 0);
  const m2 = s.secondMoment / s.M;
  // V_n over the groups of the full size n.
  const batchVariance = coupled ? s.qStats / s.full - c : s.tcStats / s.full / n;
  // The baseline-free g_i are i.i.d.: their batch variance is the within-group variance over n, no ‖∇J‖² needed.
  const vNone = s.tcNone / s.full / n;
  const vMean = s.qMean / s.full - c;
  const termShares: Record<string, number> = {};
  for (const name of Object.keys(s.terms)) termShares[name] = s.spread > 0 ? s.terms[name] / s.spread : 0;
  return {
    episodes: s.M,
    groups: s.K,
    groupSize: n,
    gradNormSq: c,
    traceCov: m2 - c,
    batchVariance,
    effectiveTraceCov: n * batchVariance,
    baselineReduction: vNone > 0 ? 1 - vMean / vNone : null,
    termShares,
  };
}

/** The estimates of the file comment over a set of groups (all of one size, except perhaps the last). */
export function estimate(groups: readonly GroupSummary[]): GroupEstimates {
  return fromSums(sumsOf(groups), groups[0].n, groups[0].coupled, groups[0]);
}

/** The SNR of a batch of the groups' size: ‖∇J‖² over tr Var(ĝ) (null when there is no noise). */
export function snrOfBatch(e: GroupEstimates): number | null {
  return e.batchVariance > 0 ? Math.max(e.gradNormSq, 0) / e.batchVariance : null;
}

/** Jackknife standard errors over groups (see the file comment); all null below MIN_GROUPS. */
export function jackknife(groups: readonly GroupSummary[]): Uncertainty {
  const K = groups.length;
  const none: Uncertainty = { gradNormSq: null, traceCov: null, snr: null, baselineReduction: null, termShares: null, t: null };
  // Leaving out a group must leave at least two of the full size (for V_n and c).
  const fullSize = groups.filter((g) => g.n === groups[0].n).length;
  if (K < MIN_GROUPS || fullSize < MIN_GROUPS) return none;
  const all = sumsOf(groups);
  const n = groups[0].n;
  const leaveOut = groups.map((g) => fromSums(without(all, g, n), n, groups[0].coupled, groups[0]));
  const se = (f: (e: GroupEstimates) => number | null): number | null => {
    const xs = leaveOut.map(f);
    if (xs.some((x) => x === null || !Number.isFinite(x))) return null;
    const v = xs as number[];
    const mean = v.reduce((s, x) => s + x, 0) / K;
    return Math.sqrt(((K - 1) / K) * v.reduce((s, x) => s + (x - mean) ** 2, 0));
  };
  // The SNR unclamped (a leave-out estimate of ‖∇J‖² may go below 0): the jackknife needs a smooth statistic.
  const snr = (e: GroupEstimates) => (e.batchVariance > 0 ? e.gradNormSq / e.batchVariance : null);
  const termShares: Record<string, number> = {};
  for (const name of Object.keys(groups[0].termCross)) termShares[name] = se((e) => e.termShares[name]) ?? Infinity;
  return {
    gradNormSq: se((e) => e.gradNormSq),
    traceCov: se((e) => e.traceCov),
    snr: se(snr),
    baselineReduction: se((e) => e.baselineReduction),
    termShares,
    t: tQuantile975(K - 1),
  };
}

/** θ ± t·SE, or null without a standard error. */
export function interval(value: number | null, se: number | null, t: number | null): Interval | null {
  return value === null || se === null || t === null ? null : [value - t * se, value + t * se];
}

/**
 * The 0.975 quantile of Student's t with `df` degrees of freedom: exact values to df = 10,
 * then the Cornish–Fisher expansion in 1/df (error under 10⁻³ there).
 */
export function tQuantile975(df: number): number {
  const table = [NaN, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228];
  if (df < table.length) return table[Math.max(1, Math.floor(df))];
  const z = 1.959963984540054;
  const z3 = z ** 3;
  const z5 = z ** 5;
  const z7 = z ** 7;
  return z + (z3 + z) / (4 * df) + (5 * z5 + 16 * z3 + 3 * z) / (96 * df ** 2) + (3 * z7 + 19 * z5 + 17 * z3 - 15 * z) / (384 * df ** 3);
}

/**
 * The one-sided 95% upper confidence bound of a binomial proportion (Clopper–Pearson): the p
 * at which seeing `successes` or fewer in `trials` has probability 5%.
 */
export function binomialUpper95(successes: number, trials: number): number {
  if (successes >= trials) return 1;
  let lo = successes / trials;
  let hi = 1;
  for (let it = 0; it < 60; it++) {
    const p = (lo + hi) / 2;
    if (binomialCdf(successes, trials, p) > 0.05) lo = p;
    else hi = p;
  }
  return hi;
}

/** P(X ≤ x) for X ~ Binomial(n, p), summed in log space. */
function binomialCdf(x: number, n: number, p: number): number {
  if (p <= 0) return 1;
  if (p >= 1) return x >= n ? 1 : 0;
  let logTerm = n * Math.log1p(-p); // P(X = 0)
  let total = Math.exp(logTerm);
  for (let k = 1; k <= x; k++) {
    logTerm += Math.log((n - k + 1) / k) + Math.log(p) - Math.log1p(-p);
    total += Math.exp(logTerm);
  }
  return Math.min(total, 1);
}

function normSq(v: Float64Array): number {
  let s = 0;
  for (let d = 0; d < v.length; d++) s += v[d] * v[d];
  return s;
}
