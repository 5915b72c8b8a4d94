/**
 * REINFORCE: the score-function policy gradient of seed/log-derivative-trick.md.
 *
 *   ∇θ J(θ) = ∇θ E_{τ~πθ}[R(τ)] = E_{τ~πθ}[ Σ_t ∇θ log πθ(a_t|s_t) · Ψ_t ]
 *
 * estimated from N sampled episodes. Each episode gives one estimate
 *
 *   g_i = Σ_t ∇θ log πθ(a_t|s_t) · Ψ_t,    Ψ_t = G_t − b_t          (no γ^t factor: see returns.ts)
 *
 * and one update steps along the batch mean ĝ = (1/N) Σ_i g_i (gradient ascent on J, by Adam).
 *
 * The update reads like the seed: weigh (returns.ts: Ψ from returns and a baseline), take
 * the per-episode gradients (episodeGradients.ts, reduced in gradientPass.ts), step along
 * their mean. Since g_i is linear in Ψ, the weightings the statistics need (Ψ as
 * configured, none, mean, each reward term) are extra columns of the same pass: the
 * statistics come almost free, and the variance probe measures through this same `measure`.
 */
import type { BaselineKind, GradientStats, TrainingSettings } from "../protocol";
import type { EnvSpec } from "./envSpec";
import type { GradientMoments } from "./gradientMoments";
import { gradientPass } from "./gradientPass";
import type { PaddedBatch } from "./episodeGradients";
import { batchGradientStats } from "./gradientStats";
import { Policy } from "./policy";
import { mapRows, minusLeaveOneOutMean, normalized, rewardToGo } from "./returns";
import type { EpisodeBatch } from "./rollout";
import { tf } from "./tf";
import { ValueBaseline } from "./valueBaseline";

/** The weight columns of one batch and what each is for (duplicates share a column). */
export interface WeightColumns {
  columns: Float64Array[];
  /** Ψ the step uses (normalised when `normalizeAdvantages`). */
  step: number;
  /** Ψ as configured: what the statistics describe. */
  stats: number;
  /** G, and G minus the leave-one-out mean: for `baselineReduction`. */
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
  returns: Float64Array;
}

/** What one measurement of a batch gives: the statistics of design §3, and the raw moments. */
export interface Measurement {
  columns: WeightColumns;
  moments: GradientMoments;
  gradient: GradientStats;
  /** Per named reward term, its share of traceCov of `total` (null without named terms). */
  termShares: Record<string, number> | null;
}

export interface UpdateResult {
  gradient: GradientStats;
  termShares: Record<string, number> | null;
}

/** Holds the policy, the optional value baseline and the optimiser; one `update` per batch. */
export class Reinforce {
  readonly policy: Policy;
  readonly value: ValueBaseline | null;
  private readonly optimizer: tf.Optimizer;

  constructor(
    readonly spec: EnvSpec,
    readonly settings: TrainingSettings,
  ) {
    this.policy = new Policy(spec, settings.policy.hidden, settings.policy.activation, settings.seed);
    this.optimizer = tf.train.adam(settings.learningRate);
    this.value = settings.baseline === "value" ? new ValueBaseline(spec, settings) : null;
  }

  /**
   * Ψ for every use the batch has, as columns laid out like the batch rows.
   * @param deriveLastTerm leave the last term's column out when the terms add up (tests compare both ways)
   */
  weightColumns(batch: EpisodeBatch, withTerms = false, deriveLastTerm = true): WeightColumns {
    const s = this.settings;
    const G = rewardToGo(batch, s.gamma, new Float64Array(batch.rewards.length));
    const withMean = minusLeaveOneOutMean(batch, G);
    const byKind: Record<BaselineKind, () => Float64Array> = {
      none: () => G,
      mean: () => withMean,
      value: () => {
        const v = (this.value as ValueBaseline).values(batch);
        return mapRows(batch, (_i, _t, row) => G[row] - v[row]);
      },
    };
    const psi = byKind[s.baseline]();
    const columns = [s.normalizeAdvantages ? normalized(batch, psi) : psi];
    const index = (c: Float64Array) => {
      const k = columns.indexOf(c);
      return k >= 0 ? k : columns.push(c) - 1;
    };
    const stats = index(psi);
    const none = index(G);
    const mean = index(withMean);
    // The terms split the Ψ the statistics describe, so a share and the total it is a share of
    // are about the same Ψ.
    const total = stats;
    // A term's column: its own return-to-go, minus its part of the mean baseline. A value
    // network is not split by term: with "value" a term's column is its return-to-go, and what
    // the shares leave of 1 is the value baseline's part (nothing while V is still zero).
    const named = withTerms ? [...batch.terms.entries()] : [];
    const derived = deriveLastTerm && s.baseline !== "value" && named.length > 1 && termsAddUp(batch) ? named.length - 1 : -1;
    const terms = named.map(([name, rewards], k) => {
      if (k === derived) return { name, column: null };
      const Gk = rewardToGo(batch, s.gamma, new Float64Array(batch.rewards.length), rewards);
      return { name, column: columns.push(s.baseline === "mean" ? minusLeaveOneOutMean(batch, Gk) : Gk) - 1 };
    });
    return { columns, step: 0, stats, none, mean, total, terms, returns: G };
  }

  /**
   * The statistics of Ψ on a batch (design §3, at N = the batch's episodes), and ĝ of the
   * step's Ψ on the device (in `moments.step`; the caller frees it). The update and the
   * probe both measure through here.
   */
  measure(
    batch: EpisodeBatch,
    options: {
      terms?: boolean;
      deviations?: boolean;
      deriveLastTerm?: boolean;
      onChunk?(p: PaddedBatch): void;
      /** Whose ĝ `moments.step` holds: the step's (default), or the leave-one-out-mean column's (the probe's estimate of ‖∇J‖²). */
      direction?: "step" | "mean";
    } = {},
  ): Measurement {
    const cols = this.weightColumns(batch, options.terms, options.deriveLastTerm);
    const moments = gradientPass(this.policy, this.spec, batch, cols.columns, {
      stepColumn: options.direction === "mean" ? cols.mean : cols.step,
      reference: cols.terms.length ? cols.total : undefined,
      deviationsOf: options.deviations ? cols.stats : undefined,
      onChunk: options.onChunk,
    });
    const gradient = batchGradientStats(batch.n, moments, cols);
    let termShares: Record<string, number> | null = null;
    if (cols.terms.length && moments.cross) {
      // traceCov = Σ_k (1/(N−1)) Σ_i ⟨g_i^k − ĝ^k, g_i − ĝ⟩: each term's share of the total's spread.
      const spread = moments.cross[cols.total];
      termShares = {};
      const cross = moments.cross;
      // The derived term's cross term: total's (the spread) minus the others'.
      const crossOf = (column: number | null) =>
        column !== null ? cross[column] : cols.terms.reduce((rest, t) => (t.column === null ? rest : rest - cross[t.column]), spread);
      for (const { name, column } of cols.terms) termShares[name] = spread > 0 ? crossOf(column) / spread : 0;
    }
    return { columns: cols, moments, gradient, termShares };
  }

  /** One REINFORCE update on a batch of episodes; returns the gradient statistics of Ψ. */
  update(batch: EpisodeBatch): UpdateResult {
    const vars = this.policy.variables();
    let entropy: tf.Tensor[] | null = null;
    // The entropy bonus adds over rows, so it is gathered chunk by chunk alongside the pass.
    const onChunk =
      this.settings.entropyCoef > 0
        ? (p: PaddedBatch) => {
            const part = this.entropyGradient(p, batch.n);
            if (entropy) {
              const sum = entropy.map((e, k) => tf.add(e, part[k]));
              tf.dispose([...entropy, ...part]);
              entropy = sum;
            } else entropy = part;
          }
        : undefined;
    const { columns, moments, gradient, termShares } = this.measure(batch, { terms: batch.terms.size > 0, onChunk });

    // Ascent on J: Adam minimises, so hand it −(ĝ + entropy gradient).
    const named: tf.NamedTensorMap = {};
    const bonus = entropy as tf.Tensor[] | null;
    vars.forEach((v, k) => {
      named[v.name] = tf.tidy(() => tf.neg(bonus ? tf.add(moments.step[k], bonus[k]) : moments.step[k]));
    });
    this.optimizer.applyGradients(named);
    tf.dispose([...moments.step, ...Object.values(named), ...(bonus ?? [])]);
    this.policy.invalidate();
    this.value?.fit(batch, columns.returns);
    return { gradient, termShares };
  }

  /**
   * ∇θ of (β/N) Σ_i Σ_t H(π(·|s_t)) over a chunk's real rows, per policy variable: the
   * entropy bonus, which pulls the policy away from determinism (autodiff; only when β > 0).
   */
  private entropyGradient(p: PaddedBatch, episodes: number): tf.Tensor[] {
    const beta = this.settings.entropyCoef;
    const vars = this.policy.variables();
    if (!this.policy.discrete) {
      // Gaussian entropy Σ_d (log σ_d + ½ log 2πe) per step: its gradient is 1 per step on each log σ_d.
      const steps = p.mask.reduce((s, v) => s + v, 0);
      return vars.map((v) => (v === this.policy.logStd ? tf.fill(v.shape, (beta * steps) / episodes) : tf.zerosLike(v)));
    }
    return tf.tidy(() => {
      const M = p.n * p.T;
      const x = tf.tensor2d(p.features, [M, this.spec.featureDim]);
      const m = tf.tensor1d(p.mask);
      const { grads } = tf.variableGrads(() => {
        const logp = tf.logSoftmax(this.policy.net.forward(x));
        const h = tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 1));
        return tf.mul(beta / episodes, tf.sum(tf.mul(h, m))) as tf.Scalar;
      }, vars);
      return vars.map((v) => grads[v.name]);
    });
  }

  dispose(): void {
    this.policy.dispose();
    this.value?.dispose();
    this.optimizer.dispose();
  }
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
