/**
 * The weights Ψ_t of one batch, for every use the batch has, as columns laid out like the
 * batch rows. The per-episode gradient g_i = Σ_t ∇θ log πθ(a_t|s_t) · Ψ_t is linear in Ψ, so
 * each weighting is one more column of the same gradient pass:
 *
 *   step    Ψ the update steps along (normalised when `normalizeAdvantages`)
 *   stats   Ψ as configured: G_t − b_t with the configured baseline b (what the statistics describe)
 *   none    G_t, no baseline                    (the statistics' unbiased ‖∇J‖², `baselineReduction`)
 *   mean    G_t − leave-one-out mean            (`baselineReduction`; the probe's direction)
 *   terms   per named reward term k, its part of `stats` (for the terms' variance shares)
 *
 * Columns that are the same array are one column.
 */
import type { BaselineKind, TrainingSettings } from "../protocol";
import type { EpisodeBatch } from "./episodeBatch";
import type { GradientMoments } from "./gradientMoments";
import { mapRows, minusLeaveOneOutMean, normalized, rewardToGo } from "./returns";
import type { ValueBaseline } from "./valueBaseline";

/** The weight columns of one batch and what each is for. */
export interface WeightColumns {
  columns: Float64Array[];
  step: number;
  stats: number;
  none: number;
  mean: number;
  /** The reference the reward terms split: the statistics' Ψ. */
  total: number;
  /**
   * Per named reward term, its part of `total` (they sum to it: Ψ is linear in the rewards).
   * When the terms add up to the reward on every row, the last one has no column (null): its
   * per-episode gradients are total's minus the others', and so is its cross term.
   */
  terms: { name: string; column: number | null }[];
  /** G_t on every row (the value baseline is fitted to it). */
  returns: Float64Array;
  /** V(s_t) on every row, the baseline Ψ was weighed with; null without the value baseline. */
  values: Float64Array | null;
}

/** Ψ for every use of the batch; `withTerms` adds the named reward terms' columns. */
export function weightColumns(
  batch: EpisodeBatch,
  settings: TrainingSettings,
  value: ValueBaseline | null,
  withTerms: boolean,
): WeightColumns {
  const { gamma, baseline } = settings;
  // G_t = Σ_{k≥t} γ^{k−t} r_{k+1}
  const G = rewardToGo(batch, gamma, new Float64Array(batch.rewards.length));
  // G_{i,t} − (mean of G_{j,t} over the other episodes j running at t)
  const withMean = minusLeaveOneOutMean(batch, G);
  const values = baseline === "value" ? (value as ValueBaseline).values(batch) : null;
  const psiOf: Record<BaselineKind, () => Float64Array> = {
    none: () => G,
    mean: () => withMean,
    // G_t − V(s_t)
    value: () => mapRows(batch, (_i, _t, row) => G[row] - (values as Float64Array)[row]),
  };
  const psi = psiOf[baseline]();
  // Ψ ← (Ψ − mean Ψ) / std Ψ rescales and shifts the step, never the statistics.
  const columns = [settings.normalizeAdvantages ? normalized(batch, psi) : psi];
  const index = (c: Float64Array) => {
    const k = columns.indexOf(c);
    return k >= 0 ? k : columns.push(c) - 1;
  };
  const stats = index(psi);
  const none = index(G);
  const mean = index(withMean);
  const terms = withTerms ? termColumns(batch, settings, columns) : [];
  // The terms split the Ψ the statistics describe, so a share and its total are about the same Ψ.
  return { columns, step: 0, stats, none, mean, total: stats, terms, returns: G, values };
}

/**
 * A term's column: its own return-to-go G^k_t = Σ_{k≥t} γ^{k−t} r^k_{k+1}, minus its part of
 * the mean baseline. A value network is not split by term: with "value" a term's column is
 * its return-to-go, and what the shares leave of 1 is the value baseline's part (nothing
 * while V is still zero). Σ_k G^k = G when the terms add up to the reward, so the last term's
 * gradients are the total's minus the others': it needs no column.
 */
function termColumns(batch: EpisodeBatch, settings: TrainingSettings, columns: Float64Array[]): WeightColumns["terms"] {
  const named = [...batch.terms.entries()];
  const derived = settings.baseline !== "value" && named.length > 1 && termsAddUp(batch) ? named.length - 1 : -1;
  return named.map(([name, rewards], k) => {
    if (k === derived) return { name, column: null };
    const Gk = rewardToGo(batch, settings.gamma, new Float64Array(batch.rewards.length), rewards);
    return { name, column: columns.push(settings.baseline === "mean" ? minusLeaveOneOutMean(batch, Gk) : Gk) - 1 };
  });
}

/**
 * Each named term's share of the total's spread,
 *
 *   share_k = Σ_i ⟨g_i^k − ĝ^k, g_i − ĝ⟩ / Σ_i ‖g_i − ĝ‖²
 *
 * (they sum to 1 when the terms add up); null without terms or cross moments.
 */
export function termShares(cols: WeightColumns, moments: GradientMoments): Record<string, number> | null {
  const cross = moments.cross;
  if (!cols.terms.length || !cross) return null;
  const spread = cross[cols.total];
  // The derived term's cross term: the total's (the spread) minus the others'.
  const crossOf = (column: number | null) =>
    column !== null ? cross[column] : cols.terms.reduce((rest, t) => (t.column === null ? rest : rest - cross[t.column]), spread);
  const shares: Record<string, number> = {};
  for (const { name, column } of cols.terms) shares[name] = spread > 0 ? crossOf(column) / spread : 0;
  return shares;
}

/**
 * Whether the named terms add up to the reward on every real row, up to rounding (the
 * `reward` export's sum; not when it returned a plain number on some steps).
 */
function termsAddUp(batch: EpisodeBatch): boolean {
  const terms = [...batch.terms.values()];
  for (let i = 0; i < batch.n; i++)
    for (let t = 0; t < batch.lengths[i]; t++) {
      const row = i * batch.stride + t;
      let sum = 0;
      let size = Math.abs(batch.rewards[row]);
      for (const term of terms) {
        sum += term[row];
        size += Math.abs(term[row]);
      }
      if (Math.abs(sum - batch.rewards[row]) > 1e-12 * size) return false;
    }
  return true;
}
