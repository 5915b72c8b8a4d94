/**
 * The policy πθ(a|s): an MLP from state features to logits (categorical policy for a
 * Discrete action space) or to means (diagonal Gaussian for a Box action space, with a
 * state-independent log standard deviation per dimension, starting at σ = 1).
 */
import type { ActingPolicy } from "./rollout";
import type { EnvSpec } from "./envSpec";
import { Mlp, type Activation } from "./mlp";
import { tf } from "./tf";

export class Policy implements ActingPolicy {
  readonly net: Mlp;
  readonly logStd: tf.Variable<tf.Rank.R1> | null;
  private stdCache: Float32Array | null = null;

  constructor(
    readonly spec: EnvSpec,
    hidden: number[],
    activation: Activation,
    seed: number,
  ) {
    this.net = new Mlp(spec.featureDim, hidden, spec.actionDim, activation, `${seed}/policy`);
    this.logStd =
      spec.action.kind === "box"
        ? tf.tidy(() => tf.variable(tf.zeros([spec.actionDim]), true, `${this.net.prefix}/logStd`) as tf.Variable<tf.Rank.R1>)
        : null;
  }

  get discrete(): boolean {
    return this.spec.action.kind === "discrete";
  }

  /** In the order of the per-episode gradients: W0, b0, W1, b1, ..., then logStd. */
  variables(): tf.Variable[] {
    return this.logStd ? [...this.net.variables(), this.logStd] : this.net.variables();
  }

  predict(features: Float32Array, n: number): Float32Array {
    return this.net.predict(features, n);
  }

  std(): Float32Array | null {
    if (!this.logStd) return null;
    this.stdCache ??= Float32Array.from(this.logStd.dataSync(), Math.exp);
    return this.stdCache;
  }

  /** Call after the parameters changed. */
  invalidate(): void {
    this.stdCache = null;
  }

  dispose(): void {
    this.net.dispose();
    this.logStd?.dispose();
  }
}
