/**
 * REINFORCE: the score-function policy gradient of seed/log-derivative-trick.md.
 *
 *   ∇θ J(θ) = ∇θ E_{τ~πθ}[R(τ)] = E_{τ~πθ}[ Σ_t ∇θ log πθ(a_t|s_t) · Ψ_t ]
 *
 * estimated from N sampled episodes. Each episode gives one estimate
 *
 *   g_i = Σ_t ∇θ log πθ(a_t|s_t) · Ψ_t,    Ψ_t = G_t − b_t,   G_t = Σ_{k≥t} γ^{k−t} r_{k+1}
 *
 * and we step along the batch mean ĝ = (1/N) Σ_i g_i (gradient ascent on J, by Adam).
 *
 * The per-episode gradients are computed in one pass, not N backward passes. For a dense
 * layer h_out = act(h_in W + b), the gradient of log π(a_t|s_t) is h_in,t ⊗ δ_t, where δ_t
 * is log π's derivative at that layer's pre-activation. So with rows padded to [N, T]:
 *
 *   ∂g_i/∂W = Σ_t h_in,t ⊗ (Ψ_t δ_t)   = one batched matMul  H_iᵀ (Ψ ⊙ Δ)_i   over i
 *   ∂g_i/∂b = Σ_t Ψ_t δ_t
 *
 * which costs what one ordinary backward pass costs. g_i is linear in Ψ, so several
 * weightings (the one we step with, the one the statistics describe, none, mean) are
 * columns of one pass: the statistics come almost free, and the update is the mean of
 * the per-episode gradients.
 */
import type { BaselineKind, GradientStats, TrainingSettings } from "../protocol";
import type { EpisodeBatch } from "./rollout";
import type { EnvSpec } from "./envSpec";
import { Policy } from "./policy";
import { Mlp } from "./mlp";
import { baselineReduction, gradientStats } from "./gradientStats";
import { tf } from "./tf";

/** Episodes packed episode-major and zero-padded to the longest one: row i·T + t. */
export interface PaddedBatch {
  n: number;
  T: number;
  features: Float32Array; // [N·T, F]
  /** Discrete: one-hot a_t [N·T, K]; Box: sampled a_t [N·T, A]. Zero on padding rows. */
  actions: Float32Array;
  /** Weight columns Ψ^(c)_t [N·T, C]; zero on padding rows, so padding contributes nothing. */
  weights: Float32Array;
  columns: number;
  /** 1 on real rows, 0 on padding [N·T]. */
  mask: Float32Array;
}

/** Per parameter tensor, gradients of every episode and column: [N, pre, C, post]. */
export interface EpisodeGradients {
  tensors: tf.Tensor[];
  /** Sizes around the column axis, per tensor, and the parameter's own shape. */
  layout: { pre: number; post: number; shape: number[] }[];
}

/** G_t = r_{t+1} + γ G_{t+1}, per episode, into `out` (same row layout as the batch). */
export function rewardToGo(batch: EpisodeBatch, gamma: number, out: Float64Array, rewards: Float64Array = batch.rewards): Float64Array {
  for (let i = 0; i < batch.n; i++) {
    let g = 0;
    const base = i * batch.stride;
    for (let t = batch.lengths[i] - 1; t >= 0; t--) out[base + t] = g = rewards[base + t] + gamma * g;
  }
  return out;
}

/** The length of the longest episode of a batch: the padded batch's T. */
export function longestEpisode(batch: EpisodeBatch): number {
  let T = 0;
  for (let i = 0; i < batch.n; i++) T = Math.max(T, batch.lengths[i]);
  return T;
}

/** G minus the "mean" baseline, as a new column. */
export function withMeanBaseline(batch: EpisodeBatch, G: Float64Array): Float64Array {
  const b = meanBaseline(batch, G, longestEpisode(batch));
  return mapRows(batch, (_i, t, row) => G[row] - b[t]);
}

/** The "mean" baseline: b_t = mean of G_{i,t} over the episodes still running at t. */
export function meanBaseline(batch: EpisodeBatch, G: Float64Array, T: number): Float64Array {
  const sum = new Float64Array(T);
  const count = new Float64Array(T);
  for (let i = 0; i < batch.n; i++)
    for (let t = 0; t < batch.lengths[i]; t++) {
      sum[t] += G[i * batch.stride + t];
      count[t]++;
    }
  for (let t = 0; t < T; t++) sum[t] = count[t] > 0 ? sum[t] / count[t] : 0;
  return sum;
}

/** Pack a batch and its weight columns (each laid out like the batch rows) into the padded layout. */
export function padBatch(batch: EpisodeBatch, spec: EnvSpec, columns: Float64Array[]): PaddedBatch {
  const T = longestEpisode(batch);
  const N = batch.n;
  const F = spec.featureDim;
  const A = spec.actionDim;
  const C = columns.length;
  const features = new Float32Array(N * T * F);
  const actions = new Float32Array(N * T * A);
  const weights = new Float32Array(N * T * C);
  const mask = new Float32Array(N * T);
  for (let i = 0; i < N; i++) {
    const src = i * batch.stride;
    const len = batch.lengths[i];
    features.set(batch.features.subarray(src * F, (src + len) * F), i * T * F);
    if (spec.action.kind === "discrete") {
      for (let t = 0; t < len; t++) actions[(i * T + t) * A + batch.actionIndex[src + t]] = 1;
    } else {
      actions.set(batch.actionValue.subarray(src * A, (src + len) * A), i * T * A);
    }
    mask.fill(1, i * T, i * T + len);
    for (let t = 0; t < len; t++) for (let c = 0; c < C; c++) weights[(i * T + t) * C + c] = columns[c][src + t];
  }
  return { n: N, T, features, actions, weights, columns: C, mask };
}

/**
 * g_i for every episode i and weight column c, for every policy parameter, in one
 * forward and one backward pass over the padded batch (see the file comment).
 */
export function episodeGradients(policy: Policy, b: PaddedBatch): EpisodeGradients {
  const { n: N, T, columns: C } = b;
  const M = N * T;
  const net = policy.net;
  const layout: EpisodeGradients["layout"] = [];
  const tensors = tf.tidy(() => {
    const x = tf.tensor2d(b.features, [M, net.inputDim]);
    const w = tf.tensor3d(b.weights, [M, C, 1]) as tf.Tensor3D;
    const a = tf.tensor2d(b.actions, [M, net.outputDim]);
    const { inputs, output } = net.forwardWithActivations(x);

    // δ at the output: ∂ log π(a_t|s_t) / ∂ output_t.
    let delta: tf.Tensor2D;
    let logStdScore: tf.Tensor2D | null = null;
    if (policy.discrete) {
      // Categorical: ∂ log softmax(z)_a / ∂z = onehot(a) − softmax(z).
      delta = tf.sub(a, tf.softmax(output));
    } else {
      // Gaussian: ∂/∂μ = (a − μ)/σ²,  ∂/∂log σ = ((a − μ)/σ)² − 1.
      const std = tf.exp(policy.logStd as tf.Variable);
      const z = tf.div(tf.sub(a, output), std) as tf.Tensor2D;
      delta = tf.div(z, std) as tf.Tensor2D;
      logStdScore = tf.sub(tf.square(z), 1);
    }

    const out: tf.Tensor[] = [];
    const ones = tf.ones([N, 1, T]);
    for (let l = net.layers.length - 1; l >= 0; l--) {
      const dIn = net.sizes[l];
      const dOut = net.sizes[l + 1];
      // Ψ^(c)_t δ_t for every column, as [N, T, C·dOut].
      const weighted = tf.reshape(weightRows(delta, w), [N, T, C * dOut]);
      // Σ_t h_in,t ⊗ Ψ_t δ_t per episode: [N, dIn, C·dOut] → [N, dIn, C, dOut].
      const gW = tf.matMul(tf.reshape(inputs[l], [N, T, dIn]), weighted, true, false);
      // Σ_t Ψ_t δ_t per episode (a matMul with ones: reductions over a middle axis are slow on cpu).
      const gb = tf.matMul(ones, weighted);
      out[2 * l] = tf.reshape(gW, [N, dIn, C, dOut]);
      out[2 * l + 1] = tf.reshape(gb, [N, C, dOut]);
      layout[2 * l] = { pre: dIn, post: dOut, shape: [dIn, dOut] };
      layout[2 * l + 1] = { pre: 1, post: dOut, shape: [dOut] };
      // Back through W_l and the activation of the layer below.
      if (l > 0) delta = tf.mul(tf.matMul(delta, net.layers[l].W, false, true), net.activationDerivative(inputs[l]));
    }
    if (logStdScore) {
      const A = net.outputDim;
      out.push(tf.reshape(tf.matMul(ones, tf.reshape(weightRows(logStdScore, w), [N, T, C * A])), [N, C, A]));
      layout.push({ pre: 1, post: A, shape: [A] });
    }
    return out;
  });
  return { tensors, layout };
}

/**
 * Row-wise outer products w_m ⊗ δ_m: [M, C, 1] × [M, d] → [M, C, d]. The cpu backend
 * broadcasts slowly (7× slower than a batched matMul of 1-wide matrices); the others
 * broadcast fastest.
 */
function weightRows(delta: tf.Tensor2D, w: tf.Tensor3D): tf.Tensor3D {
  const [M, d] = delta.shape;
  const row = tf.reshape(delta, [M, 1, d]);
  return tf.getBackend() === "cpu" ? tf.matMul(w, row) : tf.mul(row, w);
}

/**
 * traceCov and ‖ĝ‖² of every column (one read-back), and the batch mean of column
 * `stepColumn` per parameter (the update direction, still on the device).
 */
export function columnMoments(g: EpisodeGradients, n: number, columns: number, stepColumn: number) {
  return tf.tidy(() => {
    let spread: tf.Tensor = tf.zeros([columns]);
    let normSq: tf.Tensor = tf.zeros([columns]);
    const step: tf.Tensor[] = [];
    g.tensors.forEach((t, k) => {
      const { pre, post, shape } = g.layout[k];
      const G = tf.reshape(t, [n, pre, columns, post]);
      const mean = tf.mean(G, 0); // ĝ per column: [pre, C, post]
      spread = tf.add(spread, tf.sum(tf.square(tf.sub(G, mean)), [0, 1, 3]));
      normSq = tf.add(normSq, tf.sum(tf.square(mean), [0, 2]));
      step.push(tf.reshape(tf.slice(mean, [0, stepColumn, 0], [pre, 1, post]), shape));
    });
    const moments = tf.concat([spread, normSq]).dataSync();
    const traceCov = Array.from(moments.subarray(0, columns), (s) => s / Math.max(n - 1, 1));
    const meanNormSq = Array.from(moments.subarray(columns));
    return { traceCov, meanNormSq, step };
  });
}

export interface UpdateResult {
  gradient: GradientStats;
}

/** Holds the policy, the optional value network and their optimisers; one `update` per batch. */
export class Reinforce {
  readonly policy: Policy;
  readonly value: Mlp | null;
  private readonly optimizer: tf.Optimizer;
  private readonly valueOptimizer: tf.Optimizer | null;
  private G = new Float64Array(0);

  constructor(
    readonly spec: EnvSpec,
    readonly settings: TrainingSettings,
  ) {
    this.policy = new Policy(spec, settings.policy.hidden, settings.policy.activation, settings.seed);
    this.optimizer = tf.train.adam(settings.learningRate);
    if (settings.baseline === "value") {
      this.value = new Mlp(spec.featureDim, settings.value.hidden, 1, "relu", `${settings.seed}/value`);
      this.valueOptimizer = tf.train.adam(settings.value.learningRate);
    } else {
      this.value = null;
      this.valueOptimizer = null;
    }
  }

  /**
   * The weight columns for a batch: Ψ as configured (what the statistics describe),
   * the step's Ψ (normalised when asked), and Ψ without and with the mean baseline
   * (for `baselineReduction`). Duplicates share a column.
   */
  weightColumns(batch: EpisodeBatch) {
    const s = this.settings;
    const rows = batch.rewards.length;
    if (this.G.length !== rows) this.G = new Float64Array(rows);
    const G = rewardToGo(batch, s.gamma, this.G);
    const none = G;
    const withMean = withMeanBaseline(batch, G);
    const byKind: Record<BaselineKind, () => Float64Array> = {
      none: () => none,
      mean: () => withMean,
      value: () => {
        const T = longestEpisode(batch);
        const v = this.valueOf(batch, T);
        return mapRows(batch, (i, t, row) => G[row] - v[i * T + t]);
      },
    };
    const psi = byKind[s.baseline]();
    const step = s.normalizeAdvantages ? normalized(batch, psi) : psi;
    const columns = [step];
    const index = (c: Float64Array) => {
      const k = columns.indexOf(c);
      return k >= 0 ? k : columns.push(c) - 1;
    };
    return { columns, step: 0, stats: index(psi), none: index(none), mean: index(withMean), returns: G };
  }

  /** One REINFORCE update on a batch of episodes; returns the gradient statistics of Ψ. */
  update(batch: EpisodeBatch): UpdateResult {
    const n = batch.n;
    const cols = this.weightColumns(batch);
    const padded = padBatch(batch, this.spec, cols.columns);
    const grads = episodeGradients(this.policy, padded);
    const m = columnMoments(grads, n, padded.columns, cols.step);
    tf.dispose(grads.tensors);

    // Ascent on J: Adam minimises, so hand it −ĝ (plus the entropy bonus, if any).
    const vars = this.policy.variables();
    const named: tf.NamedTensorMap = {};
    const entropy = this.settings.entropyCoef > 0 ? this.entropyGradient(padded) : null;
    vars.forEach((v, k) => {
      named[v.name] = tf.tidy(() => {
        const ascent = entropy ? tf.add(m.step[k], entropy[k]) : m.step[k];
        return tf.neg(ascent);
      });
    });
    this.optimizer.applyGradients(named);
    tf.dispose([...m.step, ...Object.values(named), ...(entropy ?? [])]);
    this.policy.invalidate();
    if (this.value) this.fitValue(padded, batch, cols.returns);

    return {
      gradient: gradientStats(
        n,
        m.traceCov[cols.stats],
        m.meanNormSq[cols.stats],
        baselineReduction(m.traceCov[cols.mean], m.traceCov[cols.none]),
      ),
    };
  }

  /** ∇θ of (β/N) Σ_i Σ_t H(π(·|s_t)) per policy variable (autodiff; only when β > 0). */
  private entropyGradient(b: PaddedBatch): tf.Tensor[] {
    const beta = this.settings.entropyCoef;
    const M = b.n * b.T;
    const mask = b.mask;
    const vars = this.policy.variables();
    return tf.tidy(() => {
      const x = tf.tensor2d(b.features, [M, this.spec.featureDim]);
      const m = tf.tensor1d(mask);
      if (!this.policy.discrete) {
        // Gaussian entropy Σ log σ + const: its gradient is 1 per step on log σ.
        const steps = mask.reduce((s, v) => s + v, 0);
        return vars.map((v) => (v === this.policy.logStd ? tf.fill(v.shape, (beta * steps) / b.n) : tf.zerosLike(v)));
      }
      const { grads } = tf.variableGrads(() => {
        const logp = tf.logSoftmax(this.policy.net.forward(x));
        const h = tf.neg(tf.sum(tf.mul(tf.exp(logp), logp), 1));
        return tf.mul(beta / b.n, tf.sum(tf.mul(h, m))) as tf.Scalar;
      }, vars);
      return vars.map((v) => grads[v.name]);
    });
  }

  private valueOf(batch: EpisodeBatch, T: number): Float32Array {
    const padded = padBatch(batch, this.spec, []);
    return (this.value as Mlp).predict(padded.features, batch.n * T);
  }

  /** Regress V(s_t) on G_t over the batch's real rows. */
  private fitValue(padded: PaddedBatch, batch: EpisodeBatch, G: Float64Array): void {
    const value = this.value as Mlp;
    const { n: N, T } = padded;
    const target = new Float32Array(N * T);
    const mask = padded.mask;
    for (let i = 0; i < N; i++) for (let t = 0; t < batch.lengths[i]; t++) target[i * T + t] = G[i * batch.stride + t];
    const count = mask.reduce((s, v) => s + v, 0);
    tf.tidy(() => {
      const x = tf.tensor2d(padded.features, [N * T, this.spec.featureDim]);
      const y = tf.tensor1d(target);
      const m = tf.tensor1d(mask);
      for (let k = 0; k < this.settings.value.stepsPerUpdate; k++)
        (this.valueOptimizer as tf.Optimizer).minimize(
          () => tf.div(tf.sum(tf.mul(m, tf.square(tf.sub(tf.reshape(value.forward(x), [-1]), y)))), count) as tf.Scalar,
          false,
          value.variables(),
        );
    });
  }

  dispose(): void {
    this.policy.dispose();
    this.value?.dispose();
    this.optimizer.dispose();
    this.valueOptimizer?.dispose();
  }
}

export function mapRows(batch: EpisodeBatch, f: (i: number, t: number, row: number) => number): Float64Array {
  const out = new Float64Array(batch.rewards.length);
  for (let i = 0; i < batch.n; i++) for (let t = 0; t < batch.lengths[i]; t++) out[i * batch.stride + t] = f(i, t, i * batch.stride + t);
  return out;
}

/** (Ψ − mean)/std over the batch's real rows: changes the step, never the statistics. */
function normalized(batch: EpisodeBatch, psi: Float64Array): Float64Array {
  let sum = 0;
  let sumSq = 0;
  let count = 0;
  for (let i = 0; i < batch.n; i++)
    for (let t = 0; t < batch.lengths[i]; t++) {
      const v = psi[i * batch.stride + t];
      sum += v;
      sumSq += v * v;
      count++;
    }
  const mean = sum / count;
  const std = Math.sqrt(Math.max(sumSq / count - mean * mean, 0)) + 1e-8;
  return mapRows(batch, (_i, _t, row) => (psi[row] - mean) / std);
}

/** Per-episode gradients of one column as flat vectors (parameter order of `Policy.variables`). */
export function flattenColumn(g: EpisodeGradients, n: number, columns: number, column: number): Float64Array[] {
  const size = g.layout.reduce((s, l) => s + l.pre * l.post, 0);
  const out = Array.from({ length: n }, () => new Float64Array(size));
  let offset = 0;
  g.tensors.forEach((t, k) => {
    const { pre, post } = g.layout[k];
    const data = t.dataSync();
    for (let i = 0; i < n; i++)
      for (let p = 0; p < pre; p++)
        for (let q = 0; q < post; q++) out[i][offset + p * post + q] = data[((i * pre + p) * columns + column) * post + q];
    offset += pre * post;
  });
  return out;
}
