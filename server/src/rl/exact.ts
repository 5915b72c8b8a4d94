/**
 * The exact gradient by enumeration, for environments where every outcome can be listed:
 * a Discrete action space, one-step episodes and a single start state. Then, with
 * f(a) the reward of action a (the seed's first formula),
 *
 *   ∇J = Σ_a f(a) ∇π(a|s₀) = Σ_a π(a|s₀) f(a) ∇log π(a|s₀)
 *   traceCov = Σ_a π(a|s₀) ‖Ψ(a) ∇log π(a|s₀)‖² − ‖Σ_a π(a|s₀) Ψ(a) ∇log π(a|s₀)‖²
 *
 * with Ψ(a) = f(a) for no baseline and f(a) − J for the mean baseline (the limit of the
 * batch mean as N grows).
 */
import type { BaselineKind, ExactGradient } from "../protocol";
import type { EnvSpec } from "./envSpec";
import type { EpisodeBatch } from "./rollout";
import type { Policy } from "./policy";
import { episodeGradients, flattenColumn, padBatch } from "./reinforce";
import { vectorMoments } from "./gradientStats";
import { tf } from "./tf";

export interface Enumeration {
  /** Features of the single start state. */
  start: Float32Array;
  /** f(a) for every action index. */
  rewards: number[];
}

export function exactGradient(
  policy: Policy,
  spec: EnvSpec,
  e: Enumeration,
  baseline: BaselineKind,
): ExactGradient & { gradient: Float64Array } {
  const K = e.rewards.length;
  const logits = policy.predict(e.start, 1);
  const max = Math.max(...logits);
  const z = Array.from(logits, (l) => Math.exp(l - max));
  const total = z.reduce((s, v) => s + v, 0);
  const pi = z.map((v) => v / total);
  const J = pi.reduce((s, p, a) => s + p * e.rewards[a], 0);

  // K one-step "episodes", one per action: g_a = Ψ(a) ∇log π(a|s₀).
  const batch: EpisodeBatch = {
    n: K,
    stride: 1,
    lengths: new Int32Array(K).fill(1),
    features: new Float32Array(K * spec.featureDim),
    actionIndex: Int32Array.from({ length: K }, (_, a) => a),
    actionValue: new Float32Array(0),
    rewards: Float64Array.from(e.rewards),
    terms: new Map(),
    terminated: new Uint8Array(K).fill(1),
    entropySum: 0,
  };
  for (let a = 0; a < K; a++) batch.features.set(e.start, a * spec.featureDim);
  // A value network starts at zero, so before training "value" weighs like "none".
  const psi = Float64Array.from(e.rewards, (f) => (baseline === "mean" ? f - J : f));
  const grads = episodeGradients(policy, padBatch(batch, spec, [psi]));
  const vectors = flattenColumn(grads, K, 1, 0);
  tf.dispose(grads.tensors);
  const m = vectorMoments(vectors, pi);
  // ‖∇J‖²: the baseline leaves the expectation unchanged (E[∇log π] = 0).
  return { gradNormSq: m.meanNormSq, traceCov: m.traceCov, gradient: m.mean };
}
