/**
 * What one gradient pass is asked and what it gives back: shared by the pass (`gradientPass.ts`)
 * and its moment sums (`momentSums.ts`), so the sums depend on this module and not on the pass
 * that calls them.
 */
import type { PaddedBatch } from "./episodeGradients";
import type { tf } from "./tf";

export interface PassOptions {
  /** The column whose batch mean is the update direction. */
  stepColumn: number;
  /** Also Σ_i ⟨g_i^(c) − ĝ^(c), g_i^(r) − ĝ^(r)⟩ for every column c against this column r. */
  reference?: number;
  /** Also ‖g_i^(s) − c^(s)‖² per episode for this column s (c as above: ĝ when one chunk). */
  deviationsOf?: number;
  /** Sees each chunk's padded rows (for terms that add over rows, like the entropy bonus). */
  onChunk?(padded: PaddedBatch): void;
  /** The chunk budget (tests set a small one to exercise the chunking). */
  chunkElements?: number;
  /** Where the per-episode gradients are formed and reduced (default: `preferredKernel()`). */
  kernel?: KernelPlace;
}

/** Tensor ops on the device, or loops on the host (`hostGradients.ts`). */
export type KernelPlace = "device" | "host";

export interface GradientMoments {
  n: number;
  /** (1/(N−1)) Σ_i ‖g_i − ĝ‖² per column. */
  traceCov: number[];
  /** ‖ĝ‖² per column. */
  meanNormSq: number[];
  /** Σ_i ⟨g_i^(c) − ĝ^(c), g_i^(r) − ĝ^(r)⟩ per column c, when a reference was asked for. */
  cross: number[] | null;
  deviations: Float64Array | null;
  /** ĝ of the step column, per policy variable (in `Policy.variables` order), on the device: the caller frees it. */
  step: tf.Tensor[];
}
