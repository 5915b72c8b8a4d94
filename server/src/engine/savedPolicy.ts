/**
 * Reading the policy a training saved in its run folder, without TensorFlow.js (the language
 * server loads none): the files' contents, which a runner loads by tf.io (`rl/savedPolicy.ts`).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { SavedPolicy } from "../rl/savedPolicy";

/** The saved policy's files (`model.json`, `policy.json`, `weights.bin`); throws when one is missing or not JSON. */
export function readSavedPolicy(runDir: string): SavedPolicy {
  const model = JSON.parse(fs.readFileSync(path.join(runDir, "model.json"), "utf8")) as SavedPolicy["model"];
  const saved = JSON.parse(fs.readFileSync(path.join(runDir, "policy.json"), "utf8")) as { logStd: number[] | null };
  const bin = fs.readFileSync(path.join(runDir, "weights.bin"));
  return { model, weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength) as ArrayBuffer, logStd: saved.logStd };
}
