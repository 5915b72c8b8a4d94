/**
 * The one TensorFlow.js instance the engine uses. `@tensorflow/tfjs-node`, when it
 * loads, registers its native backend on this same instance (it depends on the same
 * `@tensorflow/tfjs` version).
 */
import * as tf from "@tensorflow/tfjs";
export { tf };
