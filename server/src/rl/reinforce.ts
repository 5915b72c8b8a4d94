/**
 * REINFORCE: the score-function policy gradient. The log-derivative trick,
 * ∇θ p(x|θ) = p(x|θ) ∇θ log p(x|θ), turns the gradient of an expectation into an
 * expectation that samples can estimate:
 *
 *   ∇θ E_{x~p(·|θ)}[f(x)] = E_{x~p(·|θ)}[ f(x) ∇θ log p(x|θ) ]
 *
 * and for episodes τ of the policy (the environment's dynamics do not depend on θ):
 *
 *   ∇θ J(θ) = ∇θ E_{τ~πθ}[R(τ)] = E_{τ~πθ}[ Σ_t ∇θ log πθ(a_t|s_t) · Ψ_t ]
 *
 * where R(τ) may be replaced by what follows a_t (rewards before it do not depend on it) less
 * a baseline that does not depend on a_t either: the expectation stays the same.
 *
 * estimated from N sampled episodes (`rollout.ts`). Each episode gives one estimate
 *
 *   g_i = Σ_t ∇θ log πθ(a_t|s_t) · Ψ_t,    Ψ_t = G_t − b_t          (no γ^t factor: see returns.ts)
 *
 * and one update steps along their mean (gradient ascent on J, by Adam):
 *
 *   ĝ = (1/N) Σ_i g_i,     θ ← θ + α ĝ
 *
 * Where each part is computed: the returns G_t and the baselines b_t in `returns.ts`, the
 * weights Ψ in `weightColumns.ts`, the g_i in `episodeGradients.ts` (`hostGradients.ts` on
 * the host), their mean and moments in `gradientPass.ts` (`momentSums.ts`), the statistics in
 * `gradientStats.ts`. Since g_i is linear in Ψ, the weightings the statistics need are extra
 * columns of the same pass: the statistics come almost free, and the variance probe measures
 * through this same `measure`.
 */
import type { GradientStats, TrainingSettings } from "../protocol";
import type { EnvSpec } from "./envSpec";
import type { EpisodeBatch } from "./episodeBatch";
import type { PaddedBatch } from "./episodeGradients";
import type { GradientMoments } from "./gradientMoments";
import { gradientPass } from "./gradientPass";
import { batchGradientStats } from "./gradientStats";
import { Policy } from "./policy";
import { tf } from "./tf";
import { ValueBaseline } from "./valueBaseline";
import { explainedVariance } from "./explainedVariance";
import { termShares, weightColumns, type WeightColumns } from "./weightColumns";

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
  /** With the value baseline: 1 − Var(G − V)/Var(G) of the V this batch was weighed with (before it is fitted to it). */
  explainedVariance?: number | null;
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

  /** One REINFORCE update on a batch of episodes; returns the gradient statistics of Ψ. */
  update(batch: EpisodeBatch): UpdateResult {
    // The entropy bonus adds over rows: its gradient is gathered chunk by chunk alongside the pass.
    const bonus = this.settings.entropyCoef > 0 ? new EntropyBonus(this.policy, this.settings.entropyCoef, batch.n) : null;
    // Ψ_t = G_t − b_t, then ĝ = (1/N) Σ_i Σ_t ∇θ log πθ(a_t|s_t) Ψ_t (and the statistics of the g_i).
    const { columns, moments, gradient, termShares } = this.measure(batch, {
      terms: batch.terms.size > 0,
      onChunk: bonus ? (p) => bonus.add(p) : undefined,
    });
    // θ ← θ + α (ĝ + β ∇θ H)
    this.step(moments.step, bonus?.gradient ?? null);
    const explained = columns.values ? explainedVariance(batch, columns.returns, columns.values) : undefined;
    // V(s_t) fitted to G_t, for the next batch's baseline.
    this.value?.fit(batch, columns.returns);
    return { gradient, termShares, ...(explained !== undefined ? { explainedVariance: explained } : {}) };
  }

  /** Ψ for every use the batch has (`weightColumns.ts`); `withTerms` adds the named reward terms'. */
  weightColumns(batch: EpisodeBatch, withTerms = false): WeightColumns {
    return weightColumns(batch, this.settings, this.value, withTerms);
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
      onChunk?(p: PaddedBatch): void;
      /** Whose ĝ `moments.step` holds: the step's (default), or the leave-one-out-mean column's (the probe's estimate of ‖∇J‖²). */
      direction?: "step" | "mean";
    } = {},
  ): Measurement {
    const cols = this.weightColumns(batch, options.terms);
    const moments = gradientPass(this.policy, this.spec, batch, cols.columns, {
      stepColumn: options.direction === "mean" ? cols.mean : cols.step,
      reference: cols.terms.length ? cols.total : undefined,
      deviationsOf: options.deviations ? cols.stats : undefined,
      onChunk: options.onChunk,
    });
    return { columns: cols, moments, gradient: batchGradientStats(batch.n, moments, cols), termShares: termShares(cols, moments) };
  }

  /** Gradient ascent on J: Adam minimises, so it is handed −(ĝ + bonus). Frees both. */
  private step(gHat: tf.Tensor[], bonus: tf.Tensor[] | null): void {
    const named: tf.NamedTensorMap = {};
    this.policy.variables().forEach((v, k) => {
      named[v.name] = tf.tidy(() => tf.neg(bonus ? tf.add(gHat[k], bonus[k]) : gHat[k]));
    });
    this.optimizer.applyGradients(named);
    tf.dispose([...gHat, ...Object.values(named), ...(bonus ?? [])]);
    this.policy.invalidate();
  }

  dispose(): void {
    this.policy.dispose();
    this.value?.dispose();
    this.optimizer.dispose();
  }
}

/**
 * ∇θ of the entropy bonus (β/N) Σ_i Σ_t H(π(·|s_t)), which pulls the policy away from
 * determinism (only when β > 0): it adds over rows, so it is summed over the chunks of a pass.
 */
class EntropyBonus {
  gradient: tf.Tensor[] | null = null;

  constructor(
    private readonly policy: Policy,
    private readonly beta: number,
    private readonly episodes: number,
  ) {}

  add(p: PaddedBatch): void {
    const part = this.ofChunk(p);
    if (!this.gradient) {
      this.gradient = part;
      return;
    }
    const sum = this.gradient.map((e, k) => tf.add(e, part[k]));
    tf.dispose([...this.gradient, ...part]);
    this.gradient = sum;
  }

  /** Per policy variable, over a chunk's real rows. */
  private ofChunk(p: PaddedBatch): tf.Tensor[] {
    const { beta, episodes, policy } = this;
    const vars = policy.variables();
    if (!policy.discrete) {
      // Gaussian entropy Σ_d (log σ_d + ½ log 2πe) per step: its gradient is 1 per step on each log σ_d.
      const steps = p.mask.reduce((s, v) => s + v, 0);
      return vars.map((v) => (v === policy.logStd ? tf.fill(v.shape, (beta * steps) / episodes) : tf.zerosLike(v)));
    }
    return tf.tidy(() => {
      const x = tf.tensor2d(p.features, [p.n * p.T, policy.spec.featureDim]);
      const m = tf.tensor1d(p.mask);
      const { grads } = tf.variableGrads(() => {
        // H(π(·|s)) = −Σ_a π(a|s) log π(a|s)
        const logp = tf.logSoftmax(policy.net.forward(x));
        const h = tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 1));
        return tf.mul(beta / episodes, tf.sum(tf.mul(h, m))) as tf.Scalar;
      }, vars);
      return vars.map((v) => grads[v.name]);
    });
  }
}
