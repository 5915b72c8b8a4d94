/** Reading the policy a training saved in its run folder, without TensorFlow.js (the language server loads none). */
import * as fs from "node:fs";
import * as path from "node:path";
import type { PolicyWeights } from "../protocol";

/**
 * The policy saved in a run folder (`model.json` + `weights.bin`, written by the training):
 * a layers model whose dense kernels and biases are our W and b, in order.
 */
export function readPolicyWeights(runDir: string): PolicyWeights {
  const model = JSON.parse(fs.readFileSync(path.join(runDir, "model.json"), "utf8")) as SavedModel;
  const saved = JSON.parse(fs.readFileSync(path.join(runDir, "policy.json"), "utf8")) as { logStd: number[] | null };
  const bin = fs.readFileSync(path.join(runDir, "weights.bin"));
  const floats = new Float32Array(bin.buffer, bin.byteOffset, bin.byteLength / 4);
  let at = 0;
  const tensors = model.weightsManifest[0].weights.map((w) => {
    const size = w.shape.reduce((a, b) => a * b, 1);
    const values = Array.from(floats.subarray(at, at + size));
    at += size;
    return { shape: w.shape, values };
  });
  const layers = model.modelTopology.config.layers;
  return {
    hidden: layers.slice(0, -1).map((l) => l.config.units),
    activation: layers.length > 1 && layers[0].config.activation === "tanh" ? "tanh" : "relu",
    tensors,
    logStd: saved.logStd,
  };
}

interface SavedModel {
  modelTopology: { config: { layers: { config: { units: number; activation: string } }[] } };
  weightsManifest: { weights: { shape: number[] }[] }[];
}
