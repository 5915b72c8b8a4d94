/**
 * The "value" baseline: a state-value network V(s) regressed on the return-to-go G_t,
 * so that Ψ_t = G_t − V(s_t). It is fitted after the policy step on the same batch, so
 * the baseline of a batch never saw that batch's returns (no bias from fitting to them).
 * Rows go through the network in chunks, so memory stays bounded by the chunk, not the batch.
 */
import type { TrainingSettings } from "../protocol";
import type { EnvSpec } from "./envSpec";
import { Mlp } from "./mlp";
import type { EpisodeBatch } from "./episodeBatch";
import { tf } from "./tf";

/** Rows per forward (and backward) pass of the value network. */
const VALUE_CHUNK_ROWS = 1 << 15;

export class ValueBaseline {
  readonly net: Mlp;
  private readonly optimizer: tf.Optimizer;

  constructor(
    private readonly spec: EnvSpec,
    private readonly settings: TrainingSettings,
  ) {
    this.net = new Mlp(spec.featureDim, settings.value.hidden, 1, "relu", `${settings.seed}/value`);
    this.optimizer = tf.train.adam(settings.value.learningRate);
  }

  /** V(s_t) on every real row, laid out like the batch rows. */
  values(batch: EpisodeBatch): Float64Array {
    const out = new Float64Array(batch.rewards.length);
    for (const { rows, features } of this.rowChunks(batch)) {
      const v = this.net.predict(features, rows.length);
      rows.forEach((row, k) => (out[row] = v[k]));
    }
    return out;
  }

  /**
   * `stepsPerUpdate` full-batch Adam steps on the mean squared error (1/M) Σ (V(s_t) − G_t)²
   * over the M real rows; each step's gradient is summed over the chunks.
   */
  fit(batch: EpisodeBatch, G: Float64Array): void {
    const chunks = [...this.rowChunks(batch)];
    const count = chunks.reduce((s, c) => s + c.rows.length, 0);
    if (count === 0) return;
    const vars = this.net.variables();
    for (let k = 0; k < this.settings.value.stepsPerUpdate; k++) {
      let total: tf.NamedTensorMap | null = null;
      for (const { rows, features } of chunks) {
        const { value: loss, grads } = tf.variableGrads(
          () =>
            tf.tidy(() => {
              const x = tf.tensor2d(features, [rows.length, this.spec.featureDim]);
              const y = tf.tensor1d(Float32Array.from(rows, (row) => G[row]));
              return tf.div(tf.sum(tf.square(tf.sub(tf.reshape(this.net.forward(x), [-1]), y))), count) as tf.Scalar;
            }),
          vars,
        );
        loss.dispose();
        if (total === null) total = grads;
        else {
          const sum: tf.NamedTensorMap = {};
          for (const name of Object.keys(grads)) sum[name] = tf.add(total[name], grads[name]);
          tf.dispose([...Object.values(total), ...Object.values(grads)]);
          total = sum;
        }
      }
      if (total) {
        this.optimizer.applyGradients(total);
        tf.dispose(Object.values(total));
      }
    }
  }

  /** The batch's real rows, in groups of at most VALUE_CHUNK_ROWS, with their features. */
  private *rowChunks(batch: EpisodeBatch): Generator<{ rows: number[]; features: Float32Array }> {
    const F = this.spec.featureDim;
    let rows: number[] = [];
    const emit = () => {
      const features = new Float32Array(rows.length * F);
      rows.forEach((row, k) => features.set(batch.features.subarray(row * F, (row + 1) * F), k * F));
      const chunk = { rows, features };
      rows = [];
      return chunk;
    };
    for (let i = 0; i < batch.n; i++)
      for (let t = 0; t < batch.lengths[i]; t++) {
        rows.push(i * batch.stride + t);
        if (rows.length === VALUE_CHUNK_ROWS) yield emit();
      }
    if (rows.length) yield emit();
  }

  dispose(): void {
    this.net.dispose();
    this.optimizer.dispose();
  }
}
