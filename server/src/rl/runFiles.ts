/**
 * A training run's folder: `metrics.jsonl` (one UpdateMetrics per line), `metrics.csv`
 * (the same, flattened), the policy as a TensorFlow.js layers model (`model.json` +
 * `weights.bin`, loadable with `tf.loadLayersModel`), `policy.json` (what the model
 * means: spaces, Gaussian log std) and `summary.json`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { TrainingSummary, UpdateMetrics } from "../protocol";
import type { Policy } from "./policy";
import { tf } from "./tf";

const CSV_COLUMNS: Array<[string, (m: UpdateMetrics) => number | null]> = [
  ["update", (m) => m.update],
  ["episodes", (m) => m.episodes],
  ["envSteps", (m) => m.envSteps],
  ["seconds", (m) => m.seconds],
  ["returnMean", (m) => m.returnMean],
  ["returnStd", (m) => m.returnStd],
  ["returnMin", (m) => m.returnMin],
  ["returnMax", (m) => m.returnMax],
  ["episodeLengthMean", (m) => m.episodeLengthMean],
  ["meanReturn100", (m) => m.meanReturn100],
  ["policyEntropy", (m) => m.policyEntropy],
  ["traceCov", (m) => m.gradient.traceCov],
  ["gradNormSq", (m) => m.gradient.gradNormSq],
  ["snr", (m) => m.gradient.snr],
  ["noiseScale", (m) => m.gradient.noiseScale],
  ["baselineReduction", (m) => m.gradient.baselineReduction],
];

export class RunFiles {
  private readonly jsonl: number;
  private readonly csv: number;

  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
    this.jsonl = fs.openSync(path.join(dir, "metrics.jsonl"), "w");
    this.csv = fs.openSync(path.join(dir, "metrics.csv"), "w");
    fs.writeSync(this.csv, CSV_COLUMNS.map(([name]) => name).join(",") + "\n");
  }

  append(m: UpdateMetrics): void {
    fs.writeSync(this.jsonl, JSON.stringify(m) + "\n");
    fs.writeSync(this.csv, CSV_COLUMNS.map(([, get]) => formatCell(get(m))).join(",") + "\n");
  }

  async finish(policy: Policy, summary: TrainingSummary): Promise<void> {
    fs.closeSync(this.jsonl);
    fs.closeSync(this.csv);
    await savePolicy(policy, this.dir, summary.environment);
    fs.writeFileSync(path.join(this.dir, "summary.json"), JSON.stringify(summary, null, 2) + "\n");
  }
}

function formatCell(v: number | null): string {
  return v === null || !Number.isFinite(v) ? "" : String(v);
}

/** Save the policy network as a layers model: softmax outputs (Discrete) or Gaussian means (Box). */
export async function savePolicy(policy: Policy, dir: string, environment: string): Promise<void> {
  const net = policy.net;
  const model = tf.sequential();
  net.layers.forEach((layer, l) => {
    const last = l + 1 === net.layers.length;
    model.add(
      tf.layers.dense({
        units: net.sizes[l + 1],
        activation: last ? (policy.discrete ? "softmax" : "linear") : net.activation,
        ...(l === 0 ? { inputShape: [net.inputDim] } : {}),
      }),
    );
  });
  model.setWeights(net.variables());
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const weightsManifest = [{ paths: ["./weights.bin"], weights: artifacts.weightSpecs ?? [] }];
      fs.writeFileSync(
        path.join(dir, "model.json"),
        JSON.stringify({
          modelTopology: artifacts.modelTopology,
          format: artifacts.format,
          generatedBy: artifacts.generatedBy,
          convertedBy: artifacts.convertedBy ?? null,
          weightsManifest,
        }),
      );
      fs.writeFileSync(path.join(dir, "weights.bin"), Buffer.from(artifacts.weightData as ArrayBuffer));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
    }),
  );
  model.dispose();
  const spec = policy.spec;
  fs.writeFileSync(
    path.join(dir, "policy.json"),
    JSON.stringify(
      {
        environment,
        distribution: policy.discrete ? "categorical" : "gaussian",
        observation:
          spec.observation.kind === "box"
            ? { kind: "box", dim: spec.observation.dim }
            : { kind: "discrete", n: spec.observation.n, start: spec.observation.start, encoding: "one-hot" },
        action:
          spec.action.kind === "box"
            ? { kind: "box", low: Array.from(spec.action.low), high: Array.from(spec.action.high) }
            : { kind: "discrete", n: spec.action.n, start: spec.action.start },
        logStd: policy.logStd ? Array.from(policy.logStd.dataSync()) : null,
      },
      null,
      2,
    ) + "\n",
  );
}
