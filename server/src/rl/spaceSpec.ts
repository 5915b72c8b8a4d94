/** What the engine knows of an environment's spaces and limits (read by `envSpec.ts`, sized by `limits.ts`). */

/**
 * A Box observation's bounds as written, and rounded to float32 for the bounds check
 * (Gymnasium's Box defaults to float32 and compares in it).
 */
export type ObservationSpec =
  | { kind: "box"; dim: number; low: Float64Array; high: Float64Array; low32: Float32Array; high32: Float32Array }
  | { kind: "discrete"; n: number; start: number };
export type ActionSpec =
  { kind: "discrete"; n: number; start: number } | { kind: "box"; dim: number; low: Float64Array; high: Float64Array };

export interface EnvSpec {
  observation: ObservationSpec;
  /** Width of the policy's input: the Box dimension, or n for a one-hot Discrete observation. */
  featureDim: number;
  action: ActionSpec;
  /** Width of the policy's output: logits for Discrete, Gaussian means for Box. */
  actionDim: number;
  maxEpisodeSteps: number;
  rewardThreshold: number | null;
}
