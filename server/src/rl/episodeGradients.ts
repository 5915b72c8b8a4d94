/**
 * The per-episode gradient kernel: for every episode i of a (chunk of a) batch and every
 * weight column c,
 *
 *   g_i^(c) = Σ_t ∇θ log πθ(a_t|s_t) · Ψ^(c)_t
 *
 * in one forward and one backward pass, not N backward passes. For a dense layer
 * h_out = act(h_in W + b), the gradient of log π(a_t|s_t) is h_in,t ⊗ δ_t, where δ_t is
 * log π's derivative at that layer's pre-activation. So with rows padded to [N, T]:
 *
 *   ∂g_i/∂W = Σ_t h_in,t ⊗ (Ψ_t δ_t)   = one batched matMul  H_iᵀ (Ψ ⊙ Δ)_i   over i
 *   ∂g_i/∂b = Σ_t Ψ_t δ_t
 *
 * which costs what one ordinary backward pass costs. g_i is linear in Ψ, so several
 * weightings are columns of one pass.
 */
import type { EnvSpec } from "./envSpec";
import type { Policy } from "./policy";
import type { EpisodeBatch } from "./episodeBatch";
import { tf } from "./tf";

/** A part of a batch: episodes [from, to), steps [t0, t1) of each. */
export interface BatchWindow {
  from: number;
  to: number;
  t0: number;
  t1: number;
}

/** Episodes of a window packed episode-major and zero-padded to the longest one: row i·T + t. */
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
  n: number;
  columns: number;
  tensors: tf.Tensor[];
  /** Sizes around the column axis, per tensor, and the parameter's own shape. */
  layout: { pre: number; post: number; shape: number[] }[];
}

export function wholeBatch(batch: EpisodeBatch): BatchWindow {
  return { from: 0, to: batch.n, t0: 0, t1: batch.stride };
}

/** Pack a window of a batch and its weight columns (each laid out like the batch rows). */
export function padBatch(batch: EpisodeBatch, spec: EnvSpec, columns: Float64Array[], window = wholeBatch(batch)): PaddedBatch {
  const { from, t0 } = window;
  const N = window.to - from;
  const steps = (i: number) => Math.max(Math.min(batch.lengths[i], window.t1) - t0, 0);
  let T = 0;
  for (let i = from; i < window.to; i++) T = Math.max(T, steps(i));
  const F = spec.featureDim;
  const A = spec.actionDim;
  const C = columns.length;
  const features = new Float32Array(N * T * F);
  const actions = new Float32Array(N * T * A);
  const weights = new Float32Array(N * T * C);
  const mask = new Float32Array(N * T);
  for (let j = 0; j < N; j++) {
    const i = from + j;
    const src = i * batch.stride + t0;
    const len = steps(i);
    features.set(batch.features.subarray(src * F, (src + len) * F), j * T * F);
    if (spec.action.kind === "discrete") {
      for (let t = 0; t < len; t++) actions[(j * T + t) * A + batch.actionIndex[src + t]] = 1;
    } else {
      actions.set(batch.actionValue.subarray(src * A, (src + len) * A), j * T * A);
    }
    mask.fill(1, j * T, j * T + len);
    for (let t = 0; t < len; t++) for (let c = 0; c < C; c++) weights[(j * T + t) * C + c] = columns[c][src + t];
  }
  return { n: N, T, features, actions, weights, columns: C, mask };
}

/**
 * What the kernel contracts, per dense layer l (inside the caller's tidy): the layer's input
 * h_in [N·T, dIn] and δ_l = ∂ log π(a_t|s_t) / ∂(pre-activation of layer l) [N·T, dOut];
 * for a Gaussian policy also the score of log σ, ((a − μ)/σ)² − 1 [N·T, A].
 */
export interface LayerScores {
  inputs: tf.Tensor2D[];
  deltas: tf.Tensor2D[];
  logStdScore: tf.Tensor2D | null;
}

export function layerScores(policy: Policy, padded: PaddedBatch): LayerScores {
  const M = padded.n * padded.T;
  const net = policy.net;
  const x = tf.tensor2d(padded.features, [M, net.inputDim]);
  const a = tf.tensor2d(padded.actions, [M, net.outputDim]);
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
    // Padding rows have a = 0, μ = the net's output: their score is not zero, their weight is.
    logStdScore = tf.sub(tf.square(z), 1);
  }
  const deltas: tf.Tensor2D[] = [];
  for (let l = net.layers.length - 1; l >= 0; l--) {
    deltas[l] = delta;
    // Back through W_l and the activation of the layer below (Wᵀ transposed first: wasm multiplies
    // untransposed operands with XNNPACK, transposed ones in a plain loop).
    if (l > 0) delta = tf.mul(tf.matMul(delta, tf.transpose(net.layers[l].W)), net.activationDerivative(inputs[l]));
  }
  return { inputs, deltas, logStdScore };
}

/** The sizes around the column axis of each parameter's gradients, in `Policy.variables` order. */
export function gradientLayout(policy: Policy): EpisodeGradients["layout"] {
  const { sizes } = policy.net;
  const layout: EpisodeGradients["layout"] = [];
  for (let l = 0; l + 1 < sizes.length; l++) {
    layout.push({ pre: sizes[l], post: sizes[l + 1], shape: [sizes[l], sizes[l + 1]] });
    layout.push({ pre: 1, post: sizes[l + 1], shape: [sizes[l + 1]] });
  }
  if (!policy.discrete) layout.push({ pre: 1, post: policy.net.outputDim, shape: [policy.net.outputDim] });
  return layout;
}

/** g_i for every episode i and weight column c of a padded batch, for every policy parameter. */
export function episodeGradients(policy: Policy, padded: PaddedBatch): EpisodeGradients {
  const { n: N, T, columns: C } = padded;
  const M = N * T;
  const net = policy.net;
  const tensors = tf.tidy(() => {
    const w = tf.tensor3d(padded.weights, [M, C, 1]) as tf.Tensor3D;
    const { inputs, deltas, logStdScore } = layerScores(policy, padded);
    const out: tf.Tensor[] = [];
    const ones = tf.ones([N, 1, T]);
    for (let l = net.layers.length - 1; l >= 0; l--) {
      const dIn = net.sizes[l];
      const dOut = net.sizes[l + 1];
      // Ψ^(c)_t δ_t for every column, as [N, T, C·dOut].
      const weighted = tf.reshape(weightRows(deltas[l], w), [N, T, C * dOut]);
      // Σ_t h_in,t ⊗ Ψ_t δ_t per episode: [N, dIn, C·dOut] → [N, dIn, C, dOut].
      const gW = tf.matMul(tf.reshape(inputs[l], [N, T, dIn]), weighted, true, false);
      // Σ_t Ψ_t δ_t per episode (a matMul with ones: reductions over a middle axis are slow on cpu).
      const gb = tf.matMul(ones, weighted);
      out[2 * l] = tf.reshape(gW, [N, dIn, C, dOut]);
      out[2 * l + 1] = tf.reshape(gb, [N, C, dOut]);
    }
    if (logStdScore) {
      const A = net.outputDim;
      out.push(tf.reshape(tf.matMul(ones, tf.reshape(weightRows(logStdScore, w), [N, T, C * A])), [N, C, A]));
    }
    return out;
  });
  return { n: N, columns: C, tensors, layout: gradientLayout(policy) };
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
