/**
 * One pass of the per-episode gradient kernel over a whole batch, in chunks of episodes
 * (and, for an episode too long for one chunk, in windows of its steps), so that memory
 * stays bounded whatever the number and the length of the episodes. The steps of an episode
 * add (g_i = Σ_t ...), so windows of one episode are summed before its moments are taken;
 * the moments add across chunks (`momentSums.ts`):
 *
 *   ĝ = (1/N) Σ_i g_i,    Σ_i ‖g_i − ĝ‖² = Σ_i ‖g_i‖² − N ‖ĝ‖²
 */
import type { EnvSpec } from "./envSpec";
import type { Policy } from "./policy";
import type { EpisodeBatch } from "./episodeBatch";
import { episodeGradients, padBatch, type BatchWindow, type EpisodeGradients } from "./episodeGradients";
import { addHostGradients, hostEpisodeGradients, type HostGradients } from "./hostGradients";
import type { GradientMoments, KernelPlace, PassOptions } from "./gradientMoments";
import { MomentSums } from "./momentSums";
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
  // g_i of the episodes of a window, as host arrays: formed on the host, or on the device and read back.
  const gradients =
    (options.kernel ?? preferredKernel()) === "host"
      ? (window: BatchWindow) => hostEpisodeGradients(policy, pad(window))
      : (window: BatchWindow) => readBack(episodeGradients(policy, pad(window)));
  const moments = new MomentSums(columns.length, options);
  for (const chunk of plan) {
    let grads: HostGradients | null = null;
    // The windows of one chunk are the same episodes' steps: g_i = Σ_t ... adds over them.
    for (const window of chunk) grads = grads ? addHostGradients(grads, gradients(window)) : gradients(window);
    if (grads) moments.add(grads);
  }
  return moments.finish();
}

/** The device's gradients in float64 on the host (frees the tensors). */
function readBack(g: EpisodeGradients): HostGradients {
  const arrays = g.tensors.map((t) => Float64Array.from(t.dataSync()));
  tf.dispose(g.tensors);
  return { n: g.n, columns: g.columns, arrays, layout: g.layout };
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
