/**
 * Runtime schemas for the extension ↔ webview messages typed in `server/src/protocol.ts`.
 * Both sides validate what they receive with these: a malformed message is dropped and
 * reported, never acted on. Each schema is annotated with the protocol type it checks, so
 * the two cannot drift apart without a type error.
 */
import * as v from "valibot";
import type {
  DashboardRunInfo,
  FromWebviewMessage,
  GradientStats,
  PlaybackResult,
  PolicySnapshot,
  SavedRun,
  Scene,
  Shape,
  ToWebviewMessage,
  TrainingSettings,
  UpdateMetrics,
} from "../../server/src/protocol";
import { MAX_GROUP_SEEDS, MIN_GROUP_SEEDS } from "../../server/src/protocol";
import { settingsProblems } from "./settingsCheck";

const num = v.number();
const nullableNum = v.nullable(num);
const backendName = v.picklist(["tensorflow", "wasm", "cpu"]);
const endReason = v.picklist(["solved", "stopped", "budget", "error"]);
const numberRecord = v.record(v.string(), num);

const gradientStats: v.GenericSchema<GradientStats> = v.object({
  episodes: num,
  traceCov: num,
  gradNormSq: num,
  gradNormSqUnclamped: v.optional(num),
  batchVariance: v.optional(num),
  snr: nullableNum,
  noiseScale: nullableNum,
  baselineReduction: nullableNum,
});

const policySnapshot: v.GenericSchema<PolicySnapshot> = v.variant("kind", [
  v.object({ kind: v.literal("discrete"), probeStates: num, actionProbs: v.array(v.array(num)) }),
  v.object({ kind: v.literal("box"), probeStates: num, mean: v.array(v.array(num)), std: v.array(num) }),
]);

export const updateMetricsSchema: v.GenericSchema<UpdateMetrics> = v.object({
  update: num,
  episodes: num,
  episodeBudget: num,
  envSteps: num,
  seconds: num,
  returnMean: num,
  returnStd: num,
  returnMin: num,
  returnMax: num,
  episodeLengthMean: num,
  meanReturn100: num,
  policyEntropy: num,
  gradient: gradientStats,
  noiseScaleAveraged: v.optional(nullableNum),
  explainedVariance: v.optional(nullableNum),
  rewardTerms: v.optional(numberRecord),
  rewardTermVarianceShares: v.optional(numberRecord),
  policy: v.optional(policySnapshot),
});

const trainingSettingsEntries = {
  episodesPerUpdate: num,
  learningRate: num,
  gamma: num,
  baseline: v.picklist(["none", "mean", "value"]),
  normalizeAdvantages: v.boolean(),
  entropyCoef: num,
  policy: v.object({ hidden: v.array(num), activation: v.picklist(["relu", "tanh"]) }),
  value: v.object({ hidden: v.array(num), learningRate: num, stepsPerUpdate: num }),
  seed: num,
  maxEpisodes: num,
};
const trainingSettings: v.GenericSchema<TrainingSettings> = v.object(trainingSettingsEntries);
/** Settings the page asks to train with (and maybe to write into the file): only values the engine accepts. */
const partialTrainingSettings: v.GenericSchema<Partial<TrainingSettings>> = v.pipe(
  v.partial(v.object(trainingSettingsEntries)),
  v.check(
    (s) => settingsProblems(s).length === 0,
    (issue) => {
      const [key, problem] = settingsProblems(issue.input as Record<string, unknown>)[0] ?? ["settings", "are invalid"];
      return `${key} ${problem}`;
    },
  ),
);

const actionSpace = v.variant("kind", [v.object({ kind: v.literal("discrete"), n: num }), v.object({ kind: v.literal("box"), dims: num })]);

const runInfo: v.GenericSchema<DashboardRunInfo> = v.object({
  runId: v.string(),
  uri: v.nullable(v.string()),
  environment: v.string(),
  backend: v.nullable(backendName),
  settings: v.nullable(trainingSettings),
  rewardThreshold: nullableNum,
  actionSpace: v.nullable(actionSpace),
  source: v.picklist(["live", "saved"]),
  runDir: v.nullable(v.string()),
  groupId: v.optional(v.nullable(v.string())),
  groupLabel: v.optional(v.nullable(v.string())),
});

const savedRun: v.GenericSchema<SavedRun> = v.object({
  runDir: v.string(),
  environment: v.string(),
  episodes: num,
  updates: num,
  meanReturn100: num,
  solved: v.boolean(),
  reason: endReason,
  savedAt: num,
  sweep: v.optional(v.object({ points: num, trials: num, solved: num })),
});

const shape: v.GenericSchema<Shape> = v.variant("type", [
  v.object({
    type: v.literal("rect"),
    x: num,
    y: num,
    width: num,
    height: num,
    fill: v.optional(v.string()),
    stroke: v.optional(v.string()),
  }),
  v.object({ type: v.literal("circle"), cx: num, cy: num, r: num, fill: v.optional(v.string()), stroke: v.optional(v.string()) }),
  v.object({
    type: v.literal("line"),
    x1: num,
    y1: num,
    x2: num,
    y2: num,
    stroke: v.optional(v.string()),
    width: v.optional(num),
  }),
  v.object({ type: v.literal("text"), x: num, y: num, text: v.string(), size: v.optional(num), fill: v.optional(v.string()) }),
]);

export const sceneSchema: v.GenericSchema<Scene> = v.object({
  viewBox: v.tuple([num, num, num, num]),
  shapes: v.array(shape),
});

const playbackResult: v.GenericSchema<PlaybackResult> = v.variant("ok", [
  v.object({
    ok: v.literal(true),
    frames: v.array(sceneSchema),
    actions: v.array(v.unknown()),
    rewards: v.array(num),
    episodeReturn: num,
    ending: v.optional(
      v.variant("kind", [
        v.object({ kind: v.literal("terminated") }),
        v.variant("by", [
          v.object({ kind: v.literal("truncated"), by: v.literal("environment") }),
          v.object({ kind: v.literal("truncated"), by: v.literal("maxEpisodeSteps"), maxEpisodeSteps: num }),
        ]),
        v.object({ kind: v.literal("cut"), steps: num }),
      ]),
    ),
  }),
  v.object({ ok: v.literal(false), reason: v.picklist(["no-render", "no-policy", "error"]), message: v.string() }),
]);

export const toWebviewSchema: v.GenericSchema<ToWebviewMessage> = v.variant("type", [
  v.object({ type: v.literal("runStarted"), run: runInfo }),
  v.object({ type: v.literal("progress"), runId: v.string(), metrics: v.array(updateMetricsSchema) }),
  v.object({
    type: v.literal("runEnded"),
    runId: v.string(),
    reason: endReason,
    message: v.optional(v.string()),
    runDir: v.optional(v.string()),
  }),
  v.object({ type: v.literal("status"), backend: v.optional(v.nullable(backendName)), message: v.string() }),
  v.object({ type: v.literal("runLoaded"), run: runInfo, metrics: v.array(updateMetricsSchema), reason: v.nullable(endReason) }),
  v.object({ type: v.literal("savedRuns"), runs: v.array(savedRun) }),
  v.object({ type: v.literal("playback"), requestId: num, result: playbackResult }),
]);

export const fromWebviewSchema: v.GenericSchema<FromWebviewMessage> = v.variant("type", [
  v.object({ type: v.literal("ready") }),
  v.object({ type: v.literal("stop"), runId: v.string() }),
  v.object({ type: v.literal("train"), uri: v.string(), settings: v.optional(partialTrainingSettings), writeBack: v.boolean() }),
  v.object({
    type: v.literal("playback"),
    requestId: num,
    uri: v.string(),
    runId: v.optional(v.string()),
    runDir: v.optional(v.string()),
    mode: v.picklist(["greedy", "sampled"]),
    maxFrames: v.optional(num),
  }),
  v.object({ type: v.literal("listRuns") }),
  v.object({ type: v.literal("openRun"), runDir: v.string() }),
  v.object({
    type: v.literal("trainSeeds"),
    uri: v.string(),
    seeds: v.pipe(num, v.integer(), v.minValue(MIN_GROUP_SEEDS), v.maxValue(MAX_GROUP_SEEDS)),
  }),
  v.object({
    type: v.literal("export"),
    format: v.picklist(["png", "svg", "csv"]),
    name: v.pipe(v.string(), v.regex(/^[\w.-]{1,120}$/)),
    data: v.string(),
  }),
  v.object({ type: v.literal("log"), message: v.string() }),
]);

export type Validated<T> = { ok: true; value: T } | { ok: false; error: string };

/** Check a received value against a schema; the error names the first problem's path. */
export function validate<T>(schema: v.GenericSchema<T>, input: unknown): Validated<T> {
  const result = v.safeParse(schema, input);
  if (result.success) return { ok: true, value: result.output };
  const issue = result.issues[0];
  const path = v.getDotPath(issue);
  return { ok: false, error: `${path ? path + ": " : ""}${issue.message}` };
}
