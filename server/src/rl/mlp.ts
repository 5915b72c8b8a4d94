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

export class Mlp {
  readonly layers: Layer[] = [];
  readonly sizes: number[];
  /** Prefix keeping variable names unique: tfjs registers variables globally by name. */
  readonly prefix: string;

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
    return tf.tidy(
      () =>
        (
          this.forward(tf.tensor2d(x.subarray(0, n * this.inputDim), [n, this.inputDim], "float32")) as tf.Tensor
        ).dataSync() as Float32Array,
    );
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
