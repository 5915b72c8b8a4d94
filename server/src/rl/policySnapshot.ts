/**
 * The policy as the dashboard draws it: its output at a few probe states, fixed for the
 * whole run so that the curves show the policy changing, not the states. The states are
 * observations of the first update's episodes, spread evenly over its steps (the first
 * step of the first episode included). One batched forward per update.
 */
import type { PolicySnapshot } from "../protocol";
import type { Policy } from "./policy";
import type { EpisodeBatch } from "./episodeBatch";

export const PROBE_STATES = 4;

export class PolicyProbe {
  private constructor(
    private readonly features: Float32Array,
    readonly states: number,
  ) {}

  /** Up to PROBE_STATES feature rows of the batch's real steps, evenly spaced (a copy). */
  static fromBatch(batch: EpisodeBatch, featureDim: number): PolicyProbe {
    const rows: number[] = [];
    for (let i = 0; i < batch.n; i++) for (let t = 0; t < batch.lengths[i]; t++) rows.push(i * batch.stride + t);
    const count = Math.min(PROBE_STATES, rows.length);
    const picked = Array.from({ length: count }, (_, k) => rows[count > 1 ? Math.round((k * (rows.length - 1)) / (count - 1)) : 0]);
    const features = new Float32Array(count * featureDim);
    picked.forEach((row, k) => features.set(batch.features.subarray(row * featureDim, (row + 1) * featureDim), k * featureDim));
    return new PolicyProbe(features, count);
  }

  /** Discrete: π(a|s) per probe state; Box: the Gaussian mean per probe state, and σ. */
  snapshot(policy: Policy): PolicySnapshot {
    const A = policy.spec.actionDim;
    const out = policy.predict(this.features, this.states);
    const rows = Array.from({ length: this.states }, (_, k) => Array.from(out.subarray(k * A, (k + 1) * A)));
    if (!policy.discrete) return { kind: "box", probeStates: this.states, mean: rows, std: Array.from(policy.std() as Float32Array) };
    return { kind: "discrete", probeStates: this.states, actionProbs: rows.map(softmax) };
  }
}

function softmax(logits: number[]): number[] {
  const max = Math.max(...logits);
  const z = logits.map((l) => Math.exp(l - max));
  const total = z.reduce((s, v) => s + v, 0);
  return z.map((v) => v / total);
}
