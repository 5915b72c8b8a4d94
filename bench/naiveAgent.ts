/**
 * The reference point of the training speed target: an agent in the style of the
 * tfjs-examples cart-pole demo, one policy forward and one backward pass per
 * environment step on a single environment. Prints environment steps per second.
 */
import { loadInProcess } from "./harness";
import { tf } from "../server/src/rl/tf";
import { checkReset, checkStep, describeEnvironment, writeFeatures } from "../server/src/rl/envSpec";
import { Mlp } from "../server/src/rl/mlp";
import { makeRng } from "../server/src/runtime/index";

async function main() {
  const [file, backend, steps] = process.argv.slice(2);
  const { user } = await loadInProcess(file, backend as "wasm");
  const env = user.create();
  const spec = describeEnvironment(env);
  const net = new Mlp(spec.featureDim, [32], spec.actionDim, "relu", 0);
  const optimizer = tf.train.adam(0.01);
  const rng = makeRng(0);
  const x = new Float32Array(spec.featureDim);
  writeFeatures(spec, checkReset(env.reset(0)), x, 0, "reset");
  const total = Number(steps ?? 3000);
  const start = performance.now();
  for (let t = 0; t < total; t++) {
    // Forward and backward for this single step, as the demo does.
    const { value: logits, grads } = tf.variableGrads(() => {
      const out = net.forward(tf.tensor2d(x, [1, spec.featureDim]));
      return tf.sum(tf.logSoftmax(out)) as tf.Scalar;
    }, net.variables());
    const l = logits.dataSync();
    const action = rng() < 1 / (1 + Math.exp(l[0])) ? 1 : 0;
    tf.dispose(grads);
    logits.dispose();
    const s = checkStep(env.step(action));
    if (s.terminated || s.truncated) writeFeatures(spec, checkReset(env.reset()), x, 0, "reset");
    else writeFeatures(spec, s.observation, x, 0, "step");
  }
  const seconds = (performance.now() - start) / 1000;
  optimizer.dispose();
  console.log(JSON.stringify({ stepsPerSecond: total / seconds }));
}
main();
