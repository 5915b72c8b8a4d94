/**
 * Types shared by the engine, the CLI, the language server, the client and the
 * webview. One module, imported by all of them: no copied interfaces. What crosses a boundary
 * and is checked on arrival (a method's params, the webview's messages, a setting a user sets)
 * is a valibot schema with its type inferred from it, so the two cannot drift apart. The LSP
 * method objects that use these types are in `lspMethods.ts` (client and server only).
 */
import * as v from "valibot";

export type BackendChoice = "auto" | "tensorflow" | "wasm" | "cpu";
export type BackendName = "tensorflow" | "wasm" | "cpu";
export type BaselineKind = "none" | "mean" | "value";

/** A comment `// rl-playground-ignore CODE: reason` silences CODE (design §5). */
export const SUPPRESSION_PREFIX = "rl-playground-ignore";

/** Training settings with every default filled in (see `rl/settings.ts`). */
export interface TrainingSettings {
  episodesPerUpdate: number;
  learningRate: number;
  gamma: number;
  baseline: BaselineKind;
  /** Normalise Ψ over the batch for the step only; the statistics always describe raw Ψ. */
  normalizeAdvantages: boolean;
  entropyCoef: number;
  policy: { hidden: number[]; activation: "relu" | "tanh" };
  value: { hidden: number[]; learningRate: number; stepsPerUpdate: number };
  seed: number;
  /** Episode budget for `train`. */
  maxEpisodes: number;
}

/**
 * What each training setting accepts (the engine's `invalid-training` check, see `rl/settings.ts`):
 * a schema and the words that tell the user what to write. Here, not in the engine, so the
 * dashboard's "Train again" form and the server's `editTraining` check a value by the very rule
 * the engine will apply. A schema's issues say `must be <expected>`.
 */
export interface TrainingSettingRule<T = unknown> {
  schema: v.GenericSchema<unknown, T>;
  expected: string;
}

const rule = <T>(schema: v.GenericSchema<unknown, T>, expected: string): TrainingSettingRule<T> => ({
  schema: v.message(schema, `must be ${expected}`),
  expected,
});
const finiteNumber = v.pipe(v.number(), v.finite());
const wholeAtLeast = (min: number) => v.pipe(v.number(), v.finite(), v.integer(), v.minValue(min));
const positiveNumber = v.pipe(v.number(), v.finite(), v.gtValue(0));
const layerSizes = rule(v.array(wholeAtLeast(1)), "a list of layer sizes (whole numbers >= 1), e.g. [32], or [] for a linear policy");

export type NestedTrainingSetting = "policy" | "value";
export type FlatTrainingSetting = Exclude<keyof TrainingSettings, NestedTrainingSetting>;

export const TRAINING_SETTING_RULES: { [K in FlatTrainingSetting]: TrainingSettingRule<TrainingSettings[K]> } = {
  episodesPerUpdate: rule(wholeAtLeast(2), "a whole number >= 2 (the variance needs two episodes)"),
  learningRate: rule(positiveNumber, "a number > 0"),
  gamma: rule(v.pipe(finiteNumber, v.minValue(0), v.maxValue(1)), "a number in [0, 1]"),
  baseline: rule(v.picklist(["none", "mean", "value"]), '"none", "mean" or "value"'),
  normalizeAdvantages: rule(v.boolean(), "true or false"),
  entropyCoef: rule(v.pipe(finiteNumber, v.minValue(0)), "a number >= 0"),
  seed: rule(v.pipe(finiteNumber, v.integer()), "a whole number"),
  maxEpisodes: rule(wholeAtLeast(1), "a whole number >= 1 (the episode budget)"),
};

export const NESTED_TRAINING_SETTING_RULES: {
  [K in NestedTrainingSetting]: { [P in keyof TrainingSettings[K]]: TrainingSettingRule<TrainingSettings[K][P]> };
} = {
  policy: {
    hidden: layerSizes,
    activation: rule(v.picklist(["relu", "tanh"]), '"relu" or "tanh"'),
  },
  value: {
    hidden: layerSizes,
    learningRate: rule(positiveNumber, "a number > 0"),
    stepsPerUpdate: rule(wholeAtLeast(1), "a whole number >= 1"),
  },
};

/** The flat settings in the order the dashboard's form shows them (nested ones, `policy` and `value`, are left to the file). */
export const EDITABLE_SETTINGS = [
  "episodesPerUpdate",
  "learningRate",
  "gamma",
  "baseline",
  "entropyCoef",
  "normalizeAdvantages",
  "seed",
  "maxEpisodes",
] as const satisfies readonly FlatTrainingSetting[];
export type EditableSetting = (typeof EDITABLE_SETTINGS)[number];

/**
 * Flat settings a caller sets (the dashboard's "Train again" form, `editTraining`): each one
 * optional and held to its rule, any other key refused. What passes is what the engine accepts.
 */
export const TrainingSettingsPatchSchema = v.strictObject(
  optionalEntries(TRAINING_SETTING_RULES),
  `must be one of the settings ${EDITABLE_SETTINGS.join(", ")}`,
);
export type TrainingSettingsPatch = v.InferOutput<typeof TrainingSettingsPatchSchema>;

function optionalEntries<T extends Record<string, TrainingSettingRule>>(
  rules: T,
): { [K in keyof T]: v.OptionalSchema<T[K]["schema"], undefined> } {
  return Object.fromEntries(Object.entries(rules).map(([key, r]) => [key, v.optional(r.schema)])) as {
    [K in keyof T]: v.OptionalSchema<T[K]["schema"], undefined>;
  };
}

/**
 * Design §3, over all policy parameters flattened, measured on `episodes` episodes: `snr`
 * is the signal over noise of a batch estimate of that many episodes. `traceCov`,
 * `gradNormSq`, `noiseScale` and `baselineReduction` describe one episode's estimate and
 * do not scale with N. `null` where the quotient is undefined.
 */
export interface GradientStats {
  episodes: number;
  traceCov: number;
  gradNormSq: number;
  /** The estimate of ‖∇J‖² before clamping at 0: averages over updates (the noise scale shown in training) take it. */
  gradNormSqUnclamped?: number;
  /** tr Var(ĝ) of the batch estimate at N = `episodes` (the leave-one-out coupling included); absent in older metrics. */
  batchVariance?: number;
  snr: number | null;
  noiseScale: number | null;
  baselineReduction: number | null;
}

/** The SNR at another batch size: gradNormSq / (traceCov / episodes), from the same measurement. */
export interface SnrAt {
  episodes: number;
  snr: number | null;
  noiseScale: number | null;
}

/**
 * The exact values by enumeration (design §3). `traceCov` is the variance of a one-episode
 * estimate within a batch of `episodes` (the leave-one-out baseline's own noise shrinks as
 * 1/(N−1)); the reward of each action was replayed `replaysPerAction` times with
 * different seeds and always came out the same.
 */
export interface ExactGradient {
  gradNormSq: number;
  traceCov: number;
  episodes: number;
  replaysPerAction: number;
}

/** One row of `metrics.jsonl` and the payload of a progress event. */
export interface UpdateMetrics {
  update: number;
  episodes: number;
  /** The episode budget (`maxEpisodes`): training ends there at the latest. */
  episodeBudget: number;
  envSteps: number;
  seconds: number;
  returnMean: number;
  returnStd: number;
  returnMin: number;
  returnMax: number;
  episodeLengthMean: number;
  /** Mean return over the last (up to) 100 episodes. */
  meanReturn100: number;
  policyEntropy: number;
  gradient: GradientStats;
  /**
   * The noise scale averaged over updates: an exponential moving average of the per-episode
   * noise N·tr Var(ĝ) over one of ‖∇J‖² (unclamped), then their ratio (McCandlish et al. 2018: one
   * batch's ratio is biased upward and heavy-tailed). Null while the averaged ‖∇J‖² is not above 0.
   */
  noiseScaleAveraged?: number | null;
  /**
   * With `baseline: "value"` only: 1 − Var(G − V)/Var(G) over the update's steps, V as the update
   * used it (before fitting it to the batch); null when the returns-to-go do not vary.
   */
  explainedVariance?: number | null;
  /** Per named reward term: mean episode total. */
  rewardTerms?: Record<string, number>;
  /** Per named reward term: its share of traceCov (design §3), summing to 1. */
  rewardTermVarianceShares?: Record<string, number>;
  /** The policy at fixed probe states (for the dashboard). */
  policy?: PolicySnapshot;
}

export type TermFinding =
  | { name: string; kind: "constant"; value: number; updates: number }
  | { name: string; kind: "dominant"; minShare: number; updates: number };

export type EndReason = "solved" | "stopped" | "budget" | "error";

export interface TrainingSummary {
  type: "summary";
  environment: string;
  episodes: number;
  updates: number;
  envSteps: number;
  seconds: number;
  meanReturn100: number;
  solved: boolean;
  /** Episodes seen when the threshold was first reached, or null. */
  solvedAtEpisode: number | null;
  reason: EndReason;
  backend: BackendName;
  seed: number;
  runDir: string | null;
  settings: TrainingSettings;
  /** Peak resident memory of the runner process that trained, in MB. */
  peakRssMb: number;
  /** Why `backend` was picked ("wasm: a policy of 1.2k parameters is under the 20k crossover ..."). */
  backendReason?: string;
  /** The environment's `rewardThreshold` (null when it declares none), so a saved run can draw it. Absent in older summaries. */
  rewardThreshold?: number | null;
  /**
   * Named reward terms that never changed over the run (the same mean per episode at every
   * update), or that carried at least 75% of the gradient variance at every update.
   */
  termFindings?: TermFinding[];
  /** Absolute path of the environment file trained, so a saved run can be trained again. Absent in older summaries. */
  file?: string;
}

/** A 0-based position, as in LSP. */
export interface Position {
  line: number;
  character: number;
}
export interface Range {
  start: Position;
  end: Position;
}

export type Severity = "error" | "warning" | "information" | "hint";

export type DiagnosticCode =
  | "transpile-error"
  | "missing-environment"
  | "invalid-space"
  | "invalid-training"
  | "bad-reset"
  | "bad-step"
  | "observation-out-of-space"
  | "not-finite"
  | "user-code-threw"
  | "user-code-timeout"
  | "user-code-crashed"
  | "nondeterministic-reset"
  | "never-terminates"
  | "slow-step"
  | "resource-limit"
  | "reward-constant"
  | "reward-action-independent"
  | "reward-sparse"
  | "gradient-noise"
  | "baseline-recommended"
  | "reward-term-dominates-variance"
  | "termination-incentive"
  | "unreachable-threshold"
  | "suppression-unused"
  | "shaping-changes-optimum"
  | "reward-term-inert"
  | "bad-render"
  | "bad-close"
  | "action-space-not-normalized"
  /** Not design §5's: the editor's check itself failed (a backend forced in the settings that cannot load, or our bug). */
  | "check-failed";

export interface Diagnostic {
  code: DiagnosticCode;
  severity: Severity;
  message: string;
  /** Absolute path of the file the range is in (the checked file unless an import is at fault). */
  file: string;
  range: Range;
  /** A failure found while sampling: the episode that leads to it, to replay (design §5 "Failing episodes"). */
  episode?: FailingEpisode;
}

/**
 * An episode that fails: reset(seed), then the actions in order (resetting without a seed where
 * an episode ends), shrunk by delta debugging to a 1-minimal sequence: no single action can be
 * removed and the rest still fail the same way.
 */
export interface FailingEpisode {
  seed: number;
  actions: (number | number[])[];
  /** How many actions the sampled run had taken when it failed. */
  shrunkFrom: number;
}

/** The probe's numbers. Every statistic states the N it refers to. */
export interface ProbeStats {
  /** Episodes sampled: the N of `gradient` and of the return statistics. */
  episodes: number;
  returnMean: number;
  returnStd: number;
  /** Stated at N = `episodes`; measured on batches of `confidence.batchSize` formed as training forms them. */
  gradient: GradientStats;
  /** The same measurement stated for one training update's batch (`episodesPerUpdate`). */
  atEpisodesPerUpdate: SnrAt;
  exact: ExactGradient | null;
  /** How sure: the sample's batches, and 95% intervals (null: too few batches to tell). */
  confidence: ProbeConfidence;
}

/** A 95% confidence interval [low, high]. */
export type Interval = [number, number];

export interface ProbeConfidence {
  /** The probe's episodes form this many batches of `batchSize` (the last may be smaller). */
  batches: number;
  batchSize: number;
  gradNormSq: Interval | null;
  traceCov: Interval | null;
}

export interface Distribution {
  mean: number;
  std: number;
  min: number;
  max: number;
}

export interface RewardTermShare {
  name: string;
  /** Mean total of the term per episode. */
  meanReturn: number;
  /**
   * Its share of the gradient variance of Ψ as configured: Σ_i ⟨g_i^term − ĝ^term, g_i − ĝ⟩ / Σ_i ‖g_i − ĝ‖²
   * (the shares sum to 1; with the value baseline what they leave is the baseline's part).
   */
  varianceShare: number;
  shareInterval?: Interval | null;
  /**
   * For a finite environment (design §5 `shaping-changes-optimum`): "yes" when the term is
   * γΦ(s′) − Φ(s) for some Φ (the optimum is unchanged), "gamma-one" when only for γ = 1, "no";
   * absent where the analysis proves nothing.
   */
  potentialBased?: "yes" | "gamma-one" | "no";
}

/** `SnrAt` with its 95% intervals (null: not enough episodes to tell). */
export interface SnrAtWithInterval extends SnrAt {
  snrInterval: Interval | null;
  noiseScaleInterval: Interval | null;
}

/** What the editor shows on hovering the reward function: the probe's view of the reward. */
export interface RewardSummary {
  /** Episodes sampled: the N of every number here except `atEpisodesPerUpdate`. */
  episodes: number;
  /** The episodes form this many batches of `batchSize`, as training forms them. */
  batches: number;
  batchSize: number;
  /** Per-step rewards. */
  rewards: Distribution;
  /** Episode returns (undiscounted). */
  returns: Distribution;
  /** The SNR one training update sees, at N = `episodesPerUpdate`. */
  atEpisodesPerUpdate: SnrAtWithInterval;
  baselineReduction: number | null;
  baselineReductionInterval: Interval | null;
  terms: RewardTermShare[];
  /** The exact values by enumeration, when the environment is enumerable and they were claimed (design §3). */
  exact?: ExactGradient | null;
}

export interface CheckResult {
  file: string;
  diagnostics: Diagnostic[];
  stats: ProbeStats | null;
  /** Hover data for the reward function, when the probe ran. */
  summary: RewardSummary | null;
  backend: BackendName | null;
  /** Why `backend` was picked. */
  backendReason?: string | null;
}

/** A policy's parameters, as a running training or a run folder holds them (for playback). */
export interface PolicyWeights {
  hidden: number[];
  activation: "relu" | "tanh";
  /** W0, b0, W1, b1, ... in the network's order; W has shape [inputs, outputs], values row-major. */
  tensors: { shape: number[]; values: number[] }[];
  /** Box actions: the Gaussian's log σ per action dimension; null for Discrete actions. */
  logStd: number[] | null;
}

// ---------------------------------------------------------------------------------------
// Language server ↔ client (design §6). Every payload carries the document URI.

export type { Scene, Shape } from "./runtime/index";
import type { Scene } from "./runtime/index";

export const MIN_GROUP_SEEDS = 2;
export const MAX_GROUP_SEEDS = 16;
const SEEDS_RULE = `must be an array of ${MIN_GROUP_SEEDS} to ${MAX_GROUP_SEEDS} distinct whole numbers`;

/** A document's URI, as every custom method names it. */
const documentUri = v.string("must be a string (a document URI)");

/**
 * Request `rlPlayground/startTraining`. `settings` override the file's `training` export: the
 * schema takes an object; its keys and values are the engine's rules (`rl/settings.ts`) to check.
 */
export const StartTrainingParamsSchema = v.object({
  uri: documentUri,
  settings: v.optional(
    v.custom<Partial<TrainingSettings>>(
      (x) => typeof x === "object" && x !== null && !Array.isArray(x),
      'must be an object of training settings, e.g. {"maxEpisodes": 500}',
    ),
  ),
  /** Train a seed group: one run per seed (`settings.seed` = that seed), 2 to 16 distinct whole numbers. */
  seeds: v.optional(
    v.pipe(
      v.array(v.pipe(v.number(SEEDS_RULE), v.integer(SEEDS_RULE)), SEEDS_RULE),
      v.minLength(MIN_GROUP_SEEDS, SEEDS_RULE),
      v.maxLength(MAX_GROUP_SEEDS, SEEDS_RULE),
      v.check((seeds) => new Set(seeds).size === seeds.length, "must be distinct seeds (no seed twice)"),
    ),
  ),
});
export type StartTrainingParams = v.InferOutput<typeof StartTrainingParamsSchema>;
/**
 * What `startTraining` answers: a run's id (`StartTrainingResult`), or, with `seeds`, the seed
 * group's id and one run id per seed in the order of `seeds` (`StartGroupResult`). A file
 * already training answers with its training, a run or a group, whichever it is.
 */
export interface StartTrainingResult {
  runId: string;
}
export interface StartGroupResult {
  groupId: string;
  runIds: string[];
}
/** Request `rlPlayground/stopTraining`: a run's id, or a seed group's id (every run of the group stops). */
export const StopTrainingParamsSchema = v.object({ runId: v.string("must be a string (a run id from startTraining)") });
export type StopTrainingParams = v.InferOutput<typeof StopTrainingParamsSchema>;
export interface StopTrainingResult {
  stopped: boolean;
}

/**
 * What the dashboard draws of the policy at one update. Discrete actions: the action
 * probabilities at a few fixed probe states (observations drawn from the first update's
 * episodes, fixed for the whole run). Box actions: the Gaussian's mean and σ per action
 * dimension at the same probe states.
 */
export type PolicySnapshot =
  | { kind: "discrete"; probeStates: number; actionProbs: number[][] }
  | { kind: "box"; probeStates: number; mean: number[][]; std: number[] };

/**
 * Notification `rlPlayground/trainingProgress`: the newest update, at most ~20 times a second.
 * Every update's metrics still reach the client: when updates come faster, a notification also
 * carries the ones since the previous notification in `merged`, so `[...merged, metrics]` are
 * consecutive updates and a client that reads only `metrics` sees the latest state.
 */
export interface TrainingProgressParams {
  runId: string;
  /** The seed group the run belongs to; absent for a run of its own. */
  groupId?: string;
  uri: string;
  update: number;
  episodes: number;
  metrics: UpdateMetrics;
  /** The updates this notification stands for besides `metrics`, oldest first; absent when there are none. */
  merged?: UpdateMetrics[];
}

/** Every update a progress notification carries, oldest first (`merged`, then `metrics`). */
export function progressUpdates(p: TrainingProgressParams): UpdateMetrics[] {
  return p.merged ? [...p.merged, p.metrics] : [p.metrics];
}

/** Notification `rlPlayground/trainingEnded`. */
export interface TrainingEndedParams {
  runId: string;
  /** The seed group the run belongs to; absent for a run of its own. */
  groupId?: string;
  uri: string;
  reason: EndReason;
  message?: string;
  runDir?: string;
  summary?: TrainingSummary;
}

/** Notification `rlPlayground/trainingStarted` (server → client): lets the client open the dashboard. */
export interface TrainingStartedParams {
  runId: string;
  /** The seed group the run belongs to; absent for a run of its own. */
  groupId?: string;
  uri: string;
  environment: string;
  backend: BackendName | null;
  settings: TrainingSettings;
  /** The environment's solve threshold, when it declares one. */
  rewardThreshold: number | null;
  actionSpace: { kind: "discrete"; n: number } | { kind: "box"; dims: number };
}

/**
 * Request `rlPlayground/playback` `{runId?, uri, mode}`: one episode of the current (or last) policy.
 * `runDir`: a saved run's folder (reopened in the dashboard), whose policy is played on the file at
 * `uri`. Steps beyond `maxFrames` are not drawn (default 500); the reset's frame is drawn besides them.
 */
export const PlaybackParamsSchema = v.object({
  uri: documentUri,
  runId: v.optional(v.string("must be a string (a run id)")),
  runDir: v.optional(v.string("must be a string (a run folder's path)")),
  mode: v.picklist(["greedy", "sampled"], 'must be "greedy" or "sampled"'),
  maxFrames: v.optional(
    v.pipe(v.number("must be a whole number >= 1"), v.integer("must be a whole number >= 1"), v.minValue(1, "must be a whole number >= 1")),
  ),
});
export type PlaybackParams = v.InferOutput<typeof PlaybackParamsSchema>;
/**
 * How a played episode ended: the environment terminated it, it was truncated (by the
 * environment, or at `maxEpisodeSteps` as in training), or playback stopped drawing after
 * `steps` steps (the `maxFrames` cap) while the episode went on.
 */
export type PlaybackEnding =
  | { kind: "terminated" }
  | { kind: "truncated"; by: "environment" }
  | { kind: "truncated"; by: "maxEpisodeSteps"; maxEpisodeSteps: number }
  | { kind: "cut"; steps: number };
export type PlaybackResult =
  /** `frames[0]` is the reset's, `frames[k]` follows step k (`actions[k − 1]`, `rewards[k − 1]`). `ending` is absent from older servers. */
  | { ok: true; frames: Scene[]; actions: unknown[]; rewards: number[]; episodeReturn: number; ending?: PlaybackEnding }
  | { ok: false; reason: "no-render" | "no-policy" | "error"; message: string };

/** Server-side commands (the client's palette commands have other ids; the language client registers these). */
export const ServerCommands = {
  /** Check a document again now: `[uri]`; answers with a `CheckReport` when its verdict is published (null: closed first). */
  recheck: "rlPlayground.server.recheck",
  /** Replay a failing episode step by step into the output channel: `[uri, FailingEpisode]`. */
  replayEpisode: "rlPlayground.server.replayEpisode",
  /** Fuzz an environment: `[uri, episodes]`; the failures found are published on the file. */
  fuzz: "rlPlayground.server.fuzz",
} as const;

/**
 * What "RL: Fuzz Environment" (`ServerCommands.fuzz`) answers. The failures, one per signature
 * (code, user function and place), are also published on the file as diagnostics that carry
 * their shrunk episodes; `stopped`: the client cancelled it (nothing was published).
 */
/** The most episodes one "RL: Fuzz Environment" plays (the default is 1000). */
export const MAX_FUZZ_EPISODES = 100_000;

export interface FuzzReport {
  episodes: number;
  stopped: boolean;
  failures: FuzzFailure[];
}

/** One kind of failure the fuzzing found: the first one's diagnostic, and how many episodes failed so. */
export interface FuzzFailure {
  code: DiagnosticCode;
  message: string;
  file: string;
  range: Range;
  count: number;
}

/** Commands the extension (not the server) runs; the server names them in what it sends. */
export const ClientCommands = {
  /**
   * "Debug failing episode": a debug session that replays the episode on the user's code and stops
   * on the failing line: `[uri, FailingEpisode, DebugEpisodeTarget]`.
   */
  debugEpisode: "rlPlayground.debugEpisode",
  /**
   * Scroll an editor of the document to a range when it is outside the visible part: `[uri, Range]`.
   * A quick fix carries it so that an edit made off-screen is seen (VS Code runs a code
   * action's command after applying its edit).
   */
  revealRange: "rlPlayground.revealRange",
} as const;

/**
 * "Debug failing episode": the replay program sets `globalThis[FAILING_STEP_FLAG]` while the
 * failing step runs; the breakpoint on the failing line has `FAILING_STEP_CONDITION`, which is
 * true only then and records in `globalThis[DEBUG_STOPPED_FLAG]` that it stopped there.
 */
export const FAILING_STEP_FLAG = "__rlPlaygroundFailingStep";
export const DEBUG_STOPPED_FLAG = "__rlPlaygroundStoppedOnFailingLine";
export const FAILING_STEP_CONDITION = `globalThis.${FAILING_STEP_FLAG} === true && (globalThis.${DEBUG_STOPPED_FLAG} = true)`;

/** Where "Debug failing episode" stops: the failure's code and the line its diagnostic is on (0-based, in `file`). */
export interface DebugEpisodeTarget {
  code: DiagnosticCode;
  file: string;
  line: number;
}

/** What a check found, in one line for the editor to show ("no problems · 256 episodes · SNR 2.5 at 16 episodes/update"). */
export interface CheckReport {
  uri: string;
  /** The document version checked. */
  version: number;
  errors: number;
  warnings: number;
  /** Information and hints. */
  notes: number;
  /** The probe's episodes; null when the probe did not run (an error, an untrusted workspace). */
  episodes: number | null;
  /** The SNR of one training update's batch, at N = `episodesPerUpdate`. */
  snr: number | null;
  episodesPerUpdate: number | null;
  /** Only static checks ran: the workspace is not trusted. */
  staticOnly: boolean;
  summary: string;
}

/**
 * Request `rlPlayground/editTraining`: the edit that writes `settings` into the `training` export of
 * the file at `uri` (the dashboard's "also save them to the file"), as an LSP `WorkspaceEdit` the
 * client applies. Every setting is held to its rule: the server refuses what the check would reject.
 */
export const EditTrainingParamsSchema = v.object({ uri: documentUri, settings: TrainingSettingsPatchSchema });
export type EditTrainingParams = v.InferOutput<typeof EditTrainingParamsSchema>;

/** What a custom method's params must be: the schema, and the shape a client is told it expected when they do not match. */
export interface ParamsSpec<T> {
  schema: v.GenericSchema<unknown, T>;
  expected: string;
}

export const TrustChangedParamsSchema = v.object({ trusted: v.boolean("must be true or false") });
export const ActiveDocumentParamsSchema = v.object({ uri: v.nullable(v.string("must be a string (a document URI) or null")) });

/** `initializationOptions` the client passes (design §6): absent means trusted. */
export interface InitializationOptions {
  trusted?: boolean;
}
export type TrustChangedParams = v.InferOutput<typeof TrustChangedParamsSchema>;
/** The active editor's document; null when no editor is active. */
export type ActiveDocumentParams = v.InferOutput<typeof ActiveDocumentParamsSchema>;
export interface StatusParams {
  /** The backend the checks run on; null when the one the settings force cannot load (`backendProblem` says why). */
  backend?: BackendName | null;
  message: string;
  /** The checks fail because the backend set in `rlPlayground.backend` cannot load: what the user should change. */
  backendProblem?: string;
  /**
   * The documents (URIs) whose check overran its time budget: what is certain is published,
   * the statistics are still being measured (design §3). Every status carries the whole
   * list; absent means none.
   */
  measuring?: string[];
}

// ---------------------------------------------------------------------------------------
// Webview messages (extension ↔ dashboard webview). Both sides validate what they receive with
// these schemas: a malformed message is dropped and reported, never acted on. The message types
// are inferred from the schemas; the engine's records they carry (metrics, scenes, settings) keep
// their interfaces above, and `SchemaChecks` fails the type-check when a schema and its
// interface differ, optional keys included.

const num = v.number();
const nullableNum = v.nullable(num);
const backendName = v.picklist(["tensorflow", "wasm", "cpu"]);
const endReason = v.picklist(["solved", "stopped", "budget", "error"]);
const numberRecord = v.record(v.string(), num);

const gradientStatsSchema = v.object({
  episodes: num,
  traceCov: num,
  gradNormSq: num,
  gradNormSqUnclamped: v.optional(num),
  batchVariance: v.optional(num),
  snr: nullableNum,
  noiseScale: nullableNum,
  baselineReduction: nullableNum,
});

const policySnapshotSchema = v.variant("kind", [
  v.object({ kind: v.literal("discrete"), probeStates: num, actionProbs: v.array(v.array(num)) }),
  v.object({ kind: v.literal("box"), probeStates: num, mean: v.array(v.array(num)), std: v.array(num) }),
]);

/** One `UpdateMetrics` (a progress message's, or a `metrics.jsonl` row read back). */
export const UpdateMetricsSchema = v.object({
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
  gradient: gradientStatsSchema,
  noiseScaleAveraged: v.optional(nullableNum),
  explainedVariance: v.optional(nullableNum),
  rewardTerms: v.optional(numberRecord),
  rewardTermVarianceShares: v.optional(numberRecord),
  policy: v.optional(policySnapshotSchema),
});

/**
 * A run's settings as the dashboard is told them: numbers of any value, since a saved run's
 * `summary.json` may predate today's rules (what a user may *set* is `TrainingSettingsPatchSchema`).
 */
const trainingSettingsSchema = v.object({
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
});

const actionSpaceSchema = v.variant("kind", [
  v.object({ kind: v.literal("discrete"), n: num }),
  v.object({ kind: v.literal("box"), dims: num }),
]);

/** A run as the dashboard knows it: live (from `trainingStarted`) or reopened from its folder. */
export const DashboardRunInfoSchema = v.object({
  runId: v.string(),
  /** The environment file's URI; null for a saved run whose file is unknown. */
  uri: v.nullable(v.string()),
  environment: v.string(),
  backend: v.nullable(backendName),
  settings: v.nullable(trainingSettingsSchema),
  rewardThreshold: nullableNum,
  actionSpace: v.nullable(actionSpaceSchema),
  source: v.picklist(["live", "saved"]),
  runDir: v.nullable(v.string()),
  /** Runs trained together over several seeds share it; the dashboard draws them as one line with a band. */
  groupId: v.optional(v.nullable(v.string())),
  /** What the group's runs have in common, e.g. a sweep's grid point `learningRate=0.01`; names the group's line. */
  groupLabel: v.optional(v.nullable(v.string())),
});
export type DashboardRunInfo = v.InferOutput<typeof DashboardRunInfoSchema>;

/** A run folder found in the workspace (from its `summary.json`). */
export const SavedRunSchema = v.object({
  runDir: v.string(),
  environment: v.string(),
  episodes: num,
  updates: num,
  meanReturn100: num,
  solved: v.boolean(),
  reason: endReason,
  /** Last modification of `summary.json`, ms since the epoch. */
  savedAt: num,
  /** Set when `runDir` is a sweep folder: its finished trials open together, one seed group per grid point. */
  sweep: v.optional(v.object({ points: num, trials: num, solved: num })),
});
export type SavedRun = v.InferOutput<typeof SavedRunSchema>;

const colour = v.optional(v.string());
const shapeSchema = v.variant("type", [
  v.object({ type: v.literal("rect"), x: num, y: num, width: num, height: num, fill: colour, stroke: colour }),
  v.object({ type: v.literal("circle"), cx: num, cy: num, r: num, fill: colour, stroke: colour }),
  v.object({ type: v.literal("line"), x1: num, y1: num, x2: num, y2: num, stroke: colour, width: v.optional(num) }),
  v.object({ type: v.literal("text"), x: num, y: num, text: v.string(), size: v.optional(num), fill: colour }),
]);

export const SceneSchema = v.object({ viewBox: v.tuple([num, num, num, num]), shapes: v.array(shapeSchema) });

const playbackEndingSchema = v.variant("kind", [
  v.object({ kind: v.literal("terminated") }),
  v.variant("by", [
    v.object({ kind: v.literal("truncated"), by: v.literal("environment") }),
    v.object({ kind: v.literal("truncated"), by: v.literal("maxEpisodeSteps"), maxEpisodeSteps: num }),
  ]),
  v.object({ kind: v.literal("cut"), steps: num }),
]);

const playbackResultSchema = v.variant("ok", [
  v.object({
    ok: v.literal(true),
    frames: v.array(SceneSchema),
    actions: v.array(v.unknown()),
    rewards: v.array(num),
    episodeReturn: num,
    ending: v.optional(playbackEndingSchema),
  }),
  v.object({ ok: v.literal(false), reason: v.picklist(["no-render", "no-policy", "error"]), message: v.string() }),
]);

/** Extension → webview. */
export const ToWebviewMessageSchema = v.variant("type", [
  v.object({ type: v.literal("runStarted"), run: DashboardRunInfoSchema }),
  /** Updates of one run in order: every update of one server notification (at most one a run every 50 ms). */
  v.object({ type: v.literal("progress"), runId: v.string(), metrics: v.array(UpdateMetricsSchema) }),
  v.object({
    type: v.literal("runEnded"),
    runId: v.string(),
    reason: endReason,
    message: v.optional(v.string()),
    runDir: v.optional(v.string()),
  }),
  v.object({ type: v.literal("status"), backend: v.optional(v.nullable(backendName)), message: v.string() }),
  /** A saved run reopened: its info and every metrics row. */
  v.object({
    type: v.literal("runLoaded"),
    run: DashboardRunInfoSchema,
    metrics: v.array(UpdateMetricsSchema),
    reason: v.nullable(endReason),
  }),
  v.object({ type: v.literal("savedRuns"), runs: v.array(SavedRunSchema) }),
  v.object({ type: v.literal("playback"), requestId: num, result: playbackResultSchema }),
]);
export type ToWebviewMessage = v.InferOutput<typeof ToWebviewMessageSchema>;

/** Webview → extension. */
export const FromWebviewMessageSchema = v.variant("type", [
  v.object({ type: v.literal("ready") }),
  v.object({ type: v.literal("stop"), runId: v.string() }),
  /** Train the file again; `settings` override the file's; `writeBack` also saves them to its `training` export. */
  v.object({ type: v.literal("train"), uri: v.string(), settings: v.optional(TrainingSettingsPatchSchema), writeBack: v.boolean() }),
  /** One episode of a run's policy: a live run's (`runId`) or a saved run's (`runDir`), played on the file at `uri`. */
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
  /** Train the file over seeds 0 … `seeds` − 1 as one seed group ("Train 5 seeds"). */
  v.object({
    type: v.literal("trainSeeds"),
    uri: v.string(),
    seeds: v.pipe(num, v.integer(), v.minValue(MIN_GROUP_SEEDS), v.maxValue(MAX_GROUP_SEEDS)),
  }),
  /** A file for the extension to save where the user says: a chart (PNG in base64, SVG) or a run's metrics (CSV). */
  v.object({
    type: v.literal("export"),
    format: v.picklist(["png", "svg", "csv"]),
    name: v.pipe(v.string(), v.regex(/^[\w.-]{1,120}$/)),
    data: v.string(),
  }),
  /** A problem the page wants in the output channel (e.g. a dropped malformed message). */
  v.object({ type: v.literal("log"), message: v.string() }),
]);
export type FromWebviewMessage = v.InferOutput<typeof FromWebviewMessageSchema>;

export type Validated<T> = { ok: true; value: T } | { ok: false; error: string };

/** Check a received value against a schema; the error names the first problem's path. */
export function validate<T>(schema: v.GenericSchema<unknown, T>, input: unknown): Validated<T> {
  const result = v.safeParse(schema, input);
  if (result.success) return { ok: true, value: result.output };
  const issue = result.issues[0];
  const path = v.getDotPath(issue);
  return { ok: false, error: `${path ? path + ": " : ""}${issue.message}` };
}

/** True when A and B are one type, optional keys included (mutual assignability would let an optional key drift). */
type Same<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
type Holds<T extends true> = T;
/** Each schema above against the interface it checks: a drift in either fails the type-check here. */
export type SchemaChecks = [
  Holds<Same<v.InferOutput<typeof gradientStatsSchema>, GradientStats>>,
  Holds<Same<v.InferOutput<typeof policySnapshotSchema>, PolicySnapshot>>,
  Holds<Same<v.InferOutput<typeof UpdateMetricsSchema>, UpdateMetrics>>,
  Holds<Same<v.InferOutput<typeof trainingSettingsSchema>, TrainingSettings>>,
  Holds<Same<v.InferOutput<typeof actionSpaceSchema>, TrainingStartedParams["actionSpace"]>>,
  Holds<Same<v.InferOutput<typeof SceneSchema>, Scene>>,
  Holds<Same<v.InferOutput<typeof playbackEndingSchema>, PlaybackEnding>>,
  Holds<Same<v.InferOutput<typeof playbackResultSchema>, PlaybackResult>>,
  Holds<Same<TrainingSettingsPatch, Partial<Pick<TrainingSettings, FlatTrainingSetting>>>>,
  Holds<Same<EditableSetting, FlatTrainingSetting>>,
  Holds<Same<Omit<Extract<FromWebviewMessage, { type: "playback" }>, "type" | "requestId">, PlaybackParams>>,
];
