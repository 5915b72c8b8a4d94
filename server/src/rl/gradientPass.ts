/**
 * One pass of the per-episode gradient kernel over a whole batch, in chunks of episodes
 * (and, for an episode too long for one chunk, in windows of its steps), so that memory
 * stays bounded whatever the number and the length of the episodes. The moments add
 * across chunks: with c the first chunk's mean of g (a shift that keeps the sums well
 * conditioned in float32),
 *
 *   ĝ                   = (1/N) Σ_i g_i
 *   Σ_i ‖g_i − ĝ‖²       = Σ_i ‖g_i − c‖² − N ‖ĝ − c‖²
 *   Σ_i ⟨g_i − ĝ, h_i − ĥ⟩ = Σ_i ⟨g_i − c, h_i − c_h⟩ − N ⟨ĝ − c, ĥ − c_h⟩
 *
 * and the steps of an episode add too (g_i = Σ_t ...), so windows of one episode are
 * summed before its moments are taken. With one chunk, c = ĝ and the correction is zero.
 */
import type { EnvSpec } from "./envSpec";
import type { Policy } from "./policy";
import type { EpisodeBatch } from "./episodeBatch";
import {
  addEpisodeGradients,
  episodeGradients,
  padBatch,
  type BatchWindow,
  type EpisodeGradients,
  type PaddedBatch,
} from "./episodeGradients";
import { HostMomentSums, addHostGradients, hostEpisodeGradients, type HostGradients } from "./hostGradients";
import type { GradientMoments, KernelPlace, PassOptions } from "./gradientMoments";
import { tf } from "./tf";

/**
 * Elements of the largest intermediate tensor of one chunk (float32: 16 MB). A training
 * update of CartPole (16 episodes × 500 steps) and the probe's default batches fit in one.
 */
export const CHUNK_ELEMENTS = 1 << 22;

/**
 * Native TensorFlow multiplies batches of small matrices fast; WebAssembly and the cpu
 * backend run them as plain loops, and reduce over the episode axis slowly. The host's loops,
 * which skip zero inputs, are as fast on dense inputs and faster on sparse ones (CPU time of a
 * pass over 256 episodes on wasm, loaded machine: gridworld 85 ms against 130; CartPole and
 * Reach within ±15% either way).
 */
export function preferredKernel(): KernelPlace {
  return tf.getBackend() === "tensorflow" ? "device" : "host";
}

/** Per-episode gradients of every column over the batch, reduced to their moments. */
export function gradientPass(
  policy: Policy,
  spec: EnvSpec,
  batch: EpisodeBatch,
  columns: Float64Array[],
  options: PassOptions,
): GradientMoments {
  const plan = chunkPlan(batch, policy, columns.length, options.chunkElements);
  const pad = (window: BatchWindow) => {
    const padded = padBatch(batch, spec, columns, window);
    options.onChunk?.(padded);
    return padded;
  };
  if ((options.kernel ?? preferredKernel()) === "host") {
    const moments = new HostMomentSums(columns.length, options);
    for (const chunk of plan) {
      let grads: HostGradients | null = null;
      for (const window of chunk) {
        const part = hostEpisodeGradients(policy, pad(window));
        grads = grads ? addHostGradients(grads, part) : part;
      }
      if (grads) moments.add(grads);
    }
    return moments.finish();
  }
  const moments = new MomentSums(columns.length, options);
  for (const chunk of plan) {
    let grads: EpisodeGradients | null = null;
    for (const window of chunk) {
      const part = episodeGradients(policy, pad(window));
      grads = grads ? addEpisodeGradients(grads, part) : part;
    }
    if (grads) {
      moments.add(grads);
      tf.dispose(grads.tensors);
    }
  }
  return moments.finish();
}

/**
 * Chunks of the batch, each a list of windows whose gradients add up to the same episodes'
 * g_i: whole episodes while they fit, else one episode in windows of its steps.
 */
export function chunkPlan(batch: EpisodeBatch, policy: Policy, columns: number, budget = CHUNK_ELEMENTS): BatchWindow[][] {
  const sizes = policy.net.sizes;
  // Per padded row: activations of every layer, and Ψ·δ of the widest layer for every column.
  const perRow = sizes.reduce((s, d) => s + d, 0) + columns * Math.max(...sizes);
  // Per episode: its gradient for every column.
  const parameters = policy.variables().reduce((s, v) => s + v.size, 0);
  const perEpisode = parameters * columns;
  const rowsPerWindow = Math.max(1, Math.floor(budget / perRow));
  const plan: BatchWindow[][] = [];
  let from = 0;
  let longest = 0;
  const close = (to: number) => {
    if (to > from) plan.push([{ from, to, t0: 0, t1: batch.stride }]);
    from = to;
    longest = 0;
  };
  for (let i = 0; i < batch.n; i++) {
    const length = batch.lengths[i];
    if (length > rowsPerWindow) {
      close(i);
      const windows: BatchWindow[] = [];
      for (let t0 = 0; t0 < length; t0 += rowsPerWindow) windows.push({ from: i, to: i + 1, t0, t1: Math.min(t0 + rowsPerWindow, length) });
      plan.push(windows);
      from = i + 1;
      continue;
    }
    const episodes = i + 1 - from;
    const T = Math.max(longest, length);
    if (episodes > 1 && (episodes * T * perRow > budget || episodes * perEpisode > budget)) {
      close(i);
      longest = length;
    } else longest = T;
  }
  close(batch.n);
  return plan;
}

/** Running sums of the moments, on the device; one read-back at the end. */
class MomentSums {
  private n = 0;
  private centre: tf.Tensor[] = [];
  /** Σ_i g_i, kept from the second chunk on (with one chunk, ĝ is the centre itself). */
  private sums: tf.Tensor[] = [];
  private firstChunkEpisodes = 0;
  private shape: { pre: number; post: number; shape: number[] }[] = [];
  private squares: tf.Tensor;
  /** Stays zero without a reference column. */
  private cross: tf.Tensor;
  private deviations: tf.Tensor[] = [];

  constructor(
    private readonly columns: number,
    private readonly options: PassOptions,
  ) {
    this.squares = tf.zeros([columns]);
    this.cross = tf.zeros([columns]);
  }

  add(g: EpisodeGradients): void {
    const first = this.n === 0;
    const { reference, deviationsOf } = this.options;
    const n = g.n;
    const C = this.columns;
    const next = tf.tidy(() => {
      let squares = this.squares;
      let cross = this.cross;
      let deviations: tf.Tensor = tf.zeros([n]);
      const centre: tf.Tensor[] = [];
      const sums: tf.Tensor[] = [];
      g.tensors.forEach((t, k) => {
        const { pre, post } = g.layout[k];
        const grads = tf.reshape(t, [n, pre, C, post]);
        const c = first ? tf.mean(grads, 0) : this.centre[k];
        centre.push(c);
        // The first chunk's sum is n₁·c: it joins the sums when a second chunk comes.
        if (!first) sums.push(tf.add(this.sums[k] ?? tf.mul(c, this.firstChunkEpisodes), tf.sum(grads, 0)));
        const centred = tf.sub(grads, c);
        squares = tf.add(squares, tf.sum(tf.square(centred), [0, 1, 3]));
        if (reference !== undefined) {
          const r = tf.slice(centred, [0, 0, reference, 0], [n, pre, 1, post]);
          cross = tf.add(cross, tf.sum(tf.mul(centred, r), [0, 1, 3]));
        }
        if (deviationsOf !== undefined)
          deviations = tf.add(deviations, tf.sum(tf.square(tf.slice(centred, [0, 0, deviationsOf, 0], [n, pre, 1, post])), [1, 2, 3]));
      });
      return { squares, cross, deviations, centre: first ? centre : [], sums };
    });
    // Free the sums replaced (the cross sum stays the same tensor without a reference column).
    const kept = new Set<tf.Tensor>([next.squares, next.cross, ...next.sums]);
    tf.dispose([this.squares, this.cross, ...this.sums].filter((t) => !kept.has(t)));
    this.squares = next.squares;
    this.cross = next.cross;
    this.sums = next.sums;
    if (first) {
      this.centre = next.centre;
      this.shape = g.layout;
      this.firstChunkEpisodes = n;
    }
    if (deviationsOf !== undefined) this.deviations.push(next.deviations);
    else next.deviations.dispose();
    this.n += n;
  }

  finish(): GradientMoments {
    const { n, columns: C } = this;
    const { reference, stepColumn } = this.options;
    const [read, step] = tf.tidy(() => {
      let shiftSq: tf.Tensor = tf.zeros([C]);
      let shiftCross: tf.Tensor = tf.zeros([C]);
      let normSq: tf.Tensor = tf.zeros([C]);
      const step: tf.Tensor[] = [];
      this.centre.forEach((centre, k) => {
        const { pre, post, shape } = this.shape[k];
        // ĝ per column: [pre, C, post].
        const mean = this.sums.length ? tf.div(this.sums[k], n) : centre;
        if (this.sums.length) {
          const shift = tf.sub(mean, centre);
          shiftSq = tf.add(shiftSq, tf.sum(tf.square(shift), [0, 2]));
          if (reference !== undefined)
            shiftCross = tf.add(shiftCross, tf.sum(tf.mul(shift, tf.slice(shift, [0, reference, 0], [pre, 1, post])), [0, 2]));
        }
        normSq = tf.add(normSq, tf.sum(tf.square(mean), [0, 2]));
        step.push(tf.reshape(tf.slice(mean, [0, stepColumn, 0], [pre, 1, post]), shape));
      });
      const parts = [this.squares, tf.mul(shiftSq, n), normSq, this.cross, tf.mul(shiftCross, n)];
      const devs = this.deviations.length ? [tf.concat(this.deviations)] : [];
      return [tf.concat([...parts, ...devs]), step] as [tf.Tensor, tf.Tensor[]];
    });
    const values = read.dataSync();
    read.dispose();
    tf.dispose([this.squares, this.cross, ...this.sums, ...this.centre, ...this.deviations]);
    const at = (block: number, c: number) => values[block * C + c];
    const columns = Array.from({ length: C }, (_, c) => c);
    return {
      n,
      traceCov: columns.map((c) => Math.max(at(0, c) - at(1, c), 0) / Math.max(n - 1, 1)),
      meanNormSq: columns.map((c) => at(2, c)),
      cross: reference === undefined ? null : columns.map((c) => at(3, c) - at(4, c)),
      deviations: this.deviations.length ? Float64Array.from(values.subarray(5 * C)) : null,
      step,
    };
  }
}

/** Per-episode gradients of one column as flat vectors (parameter order of `Policy.variables`), from either kernel. */
export function flattenColumn(g: EpisodeGradients | HostGradients, column: number): Float64Array[] {
  const { n, columns } = g;
  const size = g.layout.reduce((s, l) => s + l.pre * l.post, 0);
  const out = Array.from({ length: n }, () => new Float64Array(size));
  const values = "arrays" in g ? g.arrays : g.tensors.map((t) => t.dataSync());
  let offset = 0;
  values.forEach((data, k) => {
    const { pre, post } = g.layout[k];
    for (let i = 0; i < n; i++)
      for (let p = 0; p < pre; p++)
        for (let q = 0; q < post; q++) out[i][offset + p * post + q] = data[((i * pre + p) * columns + column) * post + q];
    offset += pre * post;
  });
  return out;
}
