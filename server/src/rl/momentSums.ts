/**
 * The moments of the per-episode gradients g_i of a whole batch, summed chunk by chunk on the
 * host in float64, whichever kernel formed the g_i (`episodeGradients.ts` on the device,
 * read back per chunk, or `hostGradients.ts`). The gradient pass (`gradientPass.ts`) feeds it.
 */
import type { GradientMoments, PassOptions } from "./gradientMoments";
import type { HostGradients } from "./hostGradients";
import { tf } from "./tf";

/**
 * Running sums of the moments over chunks, in float64: Σ_i g_i, Σ_i ‖g_i‖² and Σ_i ⟨g_i, g_i^(r)⟩
 * per column, then
 *
 *   Σ_i ‖g_i − ĝ‖² = Σ_i ‖g_i‖² − N ‖ĝ‖²       Σ_i ⟨g_i − ĝ, h_i − ĥ⟩ = Σ_i ⟨g_i, h_i⟩ − N ⟨ĝ, ĥ⟩
 *
 * One pass over the gradients, uncentred: the cancellation costs float64's 1e-16 times
 * 1 + ‖ĝ‖²/traceCov, nothing at any SNR a policy gradient has. The per-episode deviations
 * are taken from the first chunk's mean (with one chunk, ĝ).
 */
export class MomentSums {
  private n = 0;
  private sums: Float64Array[] = [];
  /** The first chunk's mean of the deviations' column, per parameter: [pre, post]. */
  private centre: Float64Array[] = [];
  private layout: HostGradients["layout"] = [];
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
