/**
 * A run folder's saved policy (`model.json` + `weights.bin` + `policy.json`, written by
 * `runFiles.ts`): the files as the language server reads them (it loads no TensorFlow.js),
 * and their loading in a runner by tf.io, as any layers model is loaded.
 */
import type { PolicyWeights } from "../protocol";
import { tf } from "./tf";

export interface SavedPolicy {
  /** `model.json`, parsed. */
  model: tf.io.ModelJSON;
  /** `weights.bin`. */
  weightData: ArrayBuffer;
  /** Box actions: the Gaussian's log σ per dimension (from `policy.json`); null for Discrete. */
  logStd: number[] | null;
}

export function isSavedPolicy(policy: PolicyWeights | SavedPolicy): policy is SavedPolicy {
  return "model" in policy;
}

/** The weights of a saved policy: its layers model loaded by `tf.loadLayersModel` from the files' contents. */
export async function loadSavedPolicy(saved: SavedPolicy): Promise<PolicyWeights> {
  const files: tf.io.IOHandler = {
    load: () => tf.io.getModelArtifactsForJSON(saved.model, async (manifest) => [tf.io.getWeightSpecs(manifest), saved.weightData]),
  };
  const model = await tf.loadLayersModel(files);
  try {
    // Dense layers: the hidden ones, then the output (softmax or linear).
    const layers = model.layers.map((layer) => layer.getConfig() as { units: number; activation: string });
    return {
      hidden: layers.slice(0, -1).map((config) => config.units),
      activation: layers.length > 1 && layers[0].activation === "tanh" ? "tanh" : "relu",
      tensors: model.getWeights().map((w) => ({ shape: w.shape, values: Array.from(w.dataSync()) })),
      logStd: saved.logStd,
    };
  } finally {
    model.dispose();
  }
}

/** The number of weights of the network (log σ aside): what `auto` picks a backend by. */
export function policyWeightCount(policy: PolicyWeights | SavedPolicy): number {
  const shapes = isSavedPolicy(policy)
    ? tf.io.getWeightSpecs(policy.model.weightsManifest).map((w) => w.shape)
    : policy.tensors.map((t) => t.shape);
  return shapes.reduce((n, shape) => n + shape.reduce((a, b) => a * b, 1), 0);
}
