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
import type { GradientMoments, PassOptions } from "./gradientMoments";
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

/**
 * Running sums of the moments over chunks, in float64: Σ_i g_i, Σ_i ‖g_i‖² and Σ_i ⟨g_i, g_i^(r)⟩
 * per column, then
 *
 *   Σ_i ‖g_i − ĝ‖² = Σ_i ‖g_i‖² − N ‖ĝ‖²       Σ_i ⟨g_i − ĝ, h_i − ĥ⟩ = Σ_i ⟨g_i, h_i⟩ − N ⟨ĝ, ĥ⟩
 *
 * One pass over the gradients (the device sums centre first, as float32 needs). The
 * cancellation costs float64's 1e-16 times 1 + ‖ĝ‖²/traceCov: nothing at any SNR a policy
 * gradient has. The per-episode deviations are taken from the first chunk's mean, as there.
 */
export class HostMomentSums {
  private n = 0;
  private sums: Float64Array[] = [];
  /** The first chunk's mean of the deviations' column, per parameter: [pre, post]. */
  private centre: Float64Array[] = [];
  private layout: EpisodeGradients["layout"] = [];
  private readonly squares: Float64Array;
  private readonly cross: Float64Array;
  private readonly deviations: number[] = [];

  constructor(
    private readonly columns: number,
    private readonly options: PassOptions,
  ) {
    this.squares = new Float64Array(columns);
    this.cross = new Float64Array(columns);
  }

  add(g: HostGradients): void {
    const C = this.columns;
    const { reference, deviationsOf } = this.options;
    const n = g.n;
    if (this.n === 0) {
      this.layout = g.layout;
      this.sums = g.layout.map(({ pre, post }) => new Float64Array(pre * C * post));
    }
    g.arrays.forEach((x, k) => {
      const { pre, post } = g.layout[k];
      const sum = this.sums[k];
      const size = pre * C * post;
      for (let i = 0; i < n; i++) {
        const at = i * size;
        for (let p = 0; p < pre; p++)
          for (let c = 0; c < C; c++) {
            const off = (p * C + c) * post;
            const ref = at + (p * C + (reference ?? c)) * post;
            let sq = 0;
            let cr = 0;
            for (let q = 0; q < post; q++) {
              const v = x[at + off + q];
              sum[off + q] += v;
              sq += v * v;
              cr += v * x[ref + q];
            }
            this.squares[c] += sq;
            this.cross[c] += cr;
          }
      }
    });
    if (deviationsOf !== undefined) this.addDeviations(g, deviationsOf);
    this.n += n;
  }

  /** ‖g_i^(s) − c^(s)‖² per episode, c the first chunk's mean. */
  private addDeviations(g: HostGradients, s: number): void {
    const C = this.columns;
    const n = g.n;
    if (this.n === 0)
      this.centre = g.layout.map(({ pre, post }, k) => {
        const c = new Float64Array(pre * post);
        for (let p = 0; p < pre; p++) for (let q = 0; q < post; q++) c[p * post + q] = this.sums[k][(p * C + s) * post + q] / n;
        return c;
      });
    const deviations = new Float64Array(n);
    g.arrays.forEach((x, k) => {
      const { pre, post } = g.layout[k];
      const centre = this.centre[k];
      for (let i = 0; i < n; i++) {
        let d = 0;
        for (let p = 0; p < pre; p++) {
          const at = ((i * pre + p) * C + s) * post;
          for (let q = 0; q < post; q++) d += (x[at + q] - centre[p * post + q]) ** 2;
        }
        deviations[i] += d;
      }
    });
    this.deviations.push(...deviations);
  }

  finish(): GradientMoments {
    const { n, columns: C } = this;
    const { reference, stepColumn, deviationsOf } = this.options;
    const normSq = new Float64Array(C);
    const meanCross = new Float64Array(C);
    const step: tf.Tensor[] = [];
    this.sums.forEach((sum, k) => {
      const { pre, post, shape } = this.layout[k];
      const direction = new Float32Array(pre * post);
      for (let p = 0; p < pre; p++)
        for (let c = 0; c < C; c++) {
          const off = (p * C + c) * post;
          const ref = (p * C + (reference ?? c)) * post;
          for (let q = 0; q < post; q++) {
            // ĝ = Σ_i g_i / N.
            const mean = sum[off + q] / n;
            normSq[c] += mean * mean;
            meanCross[c] += mean * (sum[ref + q] / n);
            if (c === stepColumn) direction[p * post + q] = mean;
          }
        }
      step.push(tf.tensor(direction, shape));
    });
    const columns = Array.from({ length: C }, (_, c) => c);
    return {
      n,
      traceCov: columns.map((c) => Math.max(this.squares[c] - n * normSq[c], 0) / Math.max(n - 1, 1)),
      meanNormSq: Array.from(normSq),
      cross: reference === undefined ? null : columns.map((c) => this.cross[c] - n * meanCross[c]),
      deviations: deviationsOf === undefined ? null : Float64Array.from(this.deviations),
      step,
    };
  }
}
