/**
 * A dense network as plain TensorFlow.js variables: `h_{l+1} = act(h_l W_l + b_l)`, linear
 * last layer. Weights are drawn from the engine's seeded generator in JavaScript (not
 * tfjs initialisers), so a seed gives the same network on every backend. The last layer
 * starts at zero: the policy starts uniform (Gaussian mean 0) in every state, and
 * `hidden: []` is a linear policy whose start is exactly uniform.
 */
import { makeRng } from "../runtime/index";
import { tf } from "./tf";

export type Activation = "relu" | "tanh";

export interface Layer {
  W: tf.Variable<tf.Rank.R2>;
  b: tf.Variable<tf.Rank.R1>;
}

/** Activations kept by `forwardWithActivations` for the per-episode backward pass. */
export interface Activations {
  /** Inputs of each layer: `inputs[0]` is x, `inputs[l]` is the output of hidden layer l-1. */
  inputs: tf.Tensor2D[];
  /** Output of the last (linear) layer. */
  output: tf.Tensor2D;
}

let instances = 0;

/**
 * `predict` runs in JavaScript when its multiply-adds (rows × the net's weights) are at most
 * this many: a rollout's forward for 16 copies of a small policy (gridworld's: 15k
 * multiply-adds, most skipped as zero inputs) takes a quarter of the time of the tensor ops it
 * replaces (four kernels and a read-back, ~60 µs on wasm).
 */
export const HOST_FORWARD_MAX_MULTIPLY_ADDS = 1 << 16;

/** The weights as read for a forward on the host, and the variables' data they were read from. */
interface HostWeights {
  data: object[];
  W: Float32Array[];
  b: Float32Array[];
}

export class Mlp {
  readonly layers: Layer[] = [];
  readonly sizes: number[];
  /** Prefix keeping variable names unique: tfjs registers variables globally by name. */
  readonly prefix: string;
  private hostWeights: HostWeights | null = null;

  constructor(
    inputDim: number,
    hidden: number[],
    outputDim: number,
    readonly activation: Activation,
    seed: number | string,
  ) {
    this.sizes = [inputDim, ...hidden, outputDim];
    this.prefix = `mlp${instances++}`;
    const rng = makeRng(`${seed}/init`);
    for (let l = 0; l + 1 < this.sizes.length; l++) {
      const fanIn = this.sizes[l];
      const fanOut = this.sizes[l + 1];
      const last = l + 2 === this.sizes.length;
      // Glorot-uniform hidden layers; zero last layer (see above).
      const limit = last ? 0 : Math.sqrt(6 / (fanIn + fanOut));
      const w = new Float32Array(fanIn * fanOut);
      for (let k = 0; k < w.length; k++) w[k] = (2 * rng() - 1) * limit;
      // tidy frees the initial values; the variables outlive it.
      this.layers.push(
        tf.tidy(() => ({
          W: tf.variable(tf.tensor2d(w, [fanIn, fanOut]), true, `${this.prefix}/W${l}`),
          b: tf.variable(tf.zeros([fanOut]), true, `${this.prefix}/b${l}`) as tf.Variable<tf.Rank.R1>,
        })),
      );
    }
  }

  get inputDim(): number {
    return this.sizes[0];
  }
  get outputDim(): number {
    return this.sizes[this.sizes.length - 1];
  }

  variables(): tf.Variable[] {
    return this.layers.flatMap((layer) => [layer.W, layer.b]);
  }

  /** `n` rows of `x` through the network, read back into JavaScript: the rollout's one batched forward per step. */
  predict(x: Float32Array, n: number): Float32Array {
    if (n * this.multiplyAdds <= HOST_FORWARD_MAX_MULTIPLY_ADDS) return this.predictOnHost(x, n);
    return tf.tidy(
      () =>
        (
          this.forward(tf.tensor2d(x.subarray(0, n * this.inputDim), [n, this.inputDim], "float32")) as tf.Tensor
        ).dataSync() as Float32Array,
    );
  }

  /** Multiply-adds of a forward pass of one row. */
  get multiplyAdds(): number {
    let m = 0;
    for (let l = 0; l + 1 < this.sizes.length; l++) m += this.sizes[l] * this.sizes[l + 1];
    return m;
  }

  /** `predict` in float64 JavaScript (returned as float32, as the tensor path returns). */
  predictOnHost(x: Float32Array, n: number): Float32Array {
    const weights = this.weightsOnHost();
    let h: Float64Array = Float64Array.from(x.subarray(0, n * this.inputDim));
    for (let l = 0; l < this.layers.length; l++) {
      h = denseOnHost(h, n, weights.W[l], weights.b[l], this.sizes[l + 1]);
      if (l + 1 < this.layers.length) activateOnHost(h, this.activation);
    }
    return Float32Array.from(h);
  }

  /**
   * Host copies of the weights, read again whenever a variable was assigned (by an optimiser or
   * a loaded policy): `assign` gives a variable new data, so a changed data id means new values.
   */
  private weightsOnHost(): HostWeights {
    const vars = this.variables();
    const cached = this.hostWeights;
    if (cached && vars.every((v, k) => v.dataId === cached.data[k])) return cached;
    const fresh: HostWeights = {
      data: vars.map((v) => v.dataId),
      W: this.layers.map((layer) => layer.W.dataSync() as Float32Array),
      b: this.layers.map((layer) => layer.b.dataSync() as Float32Array),
    };
    this.hostWeights = fresh;
    return fresh;
  }

  forward(x: tf.Tensor2D): tf.Tensor2D {
    return this.forwardWithActivations(x).output;
  }

  forwardWithActivations(x: tf.Tensor2D): Activations {
    const inputs: tf.Tensor2D[] = [x];
    let h = x;
    for (let l = 0; l < this.layers.length; l++) {
      const { W, b } = this.layers[l];
      const last = l + 1 === this.layers.length;
      // Fused kernels know relu but not tanh.
      const fusedRelu = !last && this.activation === "relu";
      const pre = tf.fused.matMul({ a: h, b: W, bias: b, activation: fusedRelu ? "relu" : "linear" }) as tf.Tensor2D;
      h = last || fusedRelu ? pre : tf.tanh(pre);
      if (!last) inputs.push(h);
    }
    return { inputs, output: h };
  }

  /** act'(pre) expressed through the activation's output h, which is what we keep. */
  activationDerivative(h: tf.Tensor2D): tf.Tensor2D {
    return this.activation === "relu" ? tf.step(h) : tf.sub(1, tf.square(h));
  }

  dispose(): void {
    for (const v of this.variables()) v.dispose();
  }
}

/** n rows of h [n, dIn] times W [dIn, dOut] plus b, skipping zero inputs (one-hot rows, relu units that are off). */
function denseOnHost(h: Float64Array, n: number, W: Float32Array, b: Float32Array, dOut: number): Float64Array {
  const dIn = W.length / dOut;
  const out = new Float64Array(n * dOut);
  for (let r = 0; r < n; r++) {
    const o = r * dOut;
    for (let j = 0; j < dOut; j++) out[o + j] = b[j];
    for (let i = 0; i < dIn; i++) {
      const v = h[r * dIn + i];
      if (v === 0) continue;
      const w = i * dOut;
      for (let j = 0; j < dOut; j++) out[o + j] += v * W[w + j];
    }
  }
  return out;
}

function activateOnHost(h: Float64Array, activation: Activation): void {
  if (activation === "relu") for (let k = 0; k < h.length; k++) h[k] = h[k] > 0 ? h[k] : 0;
  else for (let k = 0; k < h.length; k++) h[k] = Math.tanh(h[k]);
}
