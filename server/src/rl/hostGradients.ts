/**
 * The per-episode gradient kernel of `episodeGradients.ts` with its contractions in
 * JavaScript, and the moments of `gradientPass.ts` over its result, in float64. For the
 * WebAssembly and cpu backends: there a batched matMul of many small matrices runs a plain
 * triple loop (XNNPACK serves only unbatched ones), and reductions over the episode axis
 * transpose first. Here every real step t of episode i adds, for every column c,
 *
 *   ∂g_i/∂W += h_in,t ⊗ (Ψ^(c)_t δ_t)        ∂g_i/∂b += Ψ^(c)_t δ_t
 *
 * (the same sums as the batched matMuls), skipping padding rows and the zero entries of
 * h_in,t: a one-hot observation has one, a relu layer about half. The forward pass and the
 * δ's stay tensor ops (`layerScores`); the gradients never go back to the device, only ĝ
 * of the step column does.
 */
import { gradientLayout, layerScores, type EpisodeGradients, type PaddedBatch } from "./episodeGradients";
import type { Policy } from "./policy";
import { tf } from "./tf";

/** Per parameter, gradients of every episode and column, laid out as `EpisodeGradients`: [N, pre, C, post]. */
export interface HostGradients {
  n: number;
  columns: number;
  arrays: Float64Array[];
  layout: EpisodeGradients["layout"];
}

export function hostEpisodeGradients(policy: Policy, padded: PaddedBatch): HostGradients {
  const { n: N, T, columns: C, weights, mask } = padded;
  const net = policy.net;
  const L = net.layers.length;
  // Read back what the loops contract: hidden activations (the input rows are on the host already) and δ's.
  let inputs: ArrayLike<number>[] = [];
  let deltas: ArrayLike<number>[] = [];
  let logStdScore: ArrayLike<number> | null = null;
  tf.tidy(() => {
    const s = layerScores(policy, padded);
    inputs = [padded.features, ...s.inputs.slice(1).map((h) => h.dataSync())];
    deltas = s.deltas.map((d) => d.dataSync());
    logStdScore = s.logStdScore?.dataSync() ?? null;
  });

  const arrays: Float64Array[] = [];
  const row = new Float64Array(C * Math.max(...net.sizes));
  for (let l = 0; l < L; l++) {
    const dIn = net.sizes[l];
    const dOut = net.sizes[l + 1];
    const width = C * dOut;
    const h = inputs[l];
    const delta = deltas[l];
    const gW = new Float64Array(N * dIn * width);
    const gb = new Float64Array(N * width);
    for (let i = 0; i < N; i++)
      for (let t = 0; t < T; t++) {
        const m = i * T + t;
        if (mask[m] === 0) continue;
        // row = Ψ_t ⊗ δ_t, [C, dOut]: the bias's term, and the weights' per unit of input.
        const bias = i * width;
        for (let c = 0; c < C; c++) {
          const psi = weights[m * C + c];
          for (let b = 0; b < dOut; b++) {
            const v = psi * delta[m * dOut + b];
            row[c * dOut + b] = v;
            gb[bias + c * dOut + b] += v;
          }
        }
        for (let a = 0; a < dIn; a++) {
          const x = h[m * dIn + a];
          if (x === 0) continue;
          const base = (i * dIn + a) * width;
          for (let k = 0; k < width; k++) gW[base + k] += x * row[k];
        }
      }
    arrays.push(gW, gb);
  }
  const score = logStdScore as ArrayLike<number> | null;
  if (score) {
    // ∂g_i/∂log σ = Σ_t Ψ^(c)_t (((a_t − μ_t)/σ)² − 1), [N, 1, C, A].
    const A = net.outputDim;
    const g = new Float64Array(N * C * A);
    for (let i = 0; i < N; i++)
      for (let t = 0; t < T; t++) {
        const m = i * T + t;
        if (mask[m] === 0) continue;
        for (let c = 0; c < C; c++) {
          const psi = weights[m * C + c];
          for (let a = 0; a < A; a++) g[(i * C + c) * A + a] += psi * score[m * A + a];
        }
      }
    arrays.push(g);
  }
  return { n: N, columns: C, arrays, layout: gradientLayout(policy) };
}

/** Adds `b` (the same episodes, a later window of their steps) into `a`. */
export function addHostGradients(a: HostGradients, b: HostGradients): HostGradients {
  a.arrays.forEach((x, k) => {
    const y = b.arrays[k];
    for (let j = 0; j < x.length; j++) x[j] += y[j];
  });
  return a;
}
