/**
 * The engine's entry points for the CLI, the language server and tests. User code only
 * ever runs in a runner process (`sandbox/`), with a watchdog on every call.
 *
 *   checkEnvironment(file, {contents?, sources?, pool?, priority?, signal?, episodes?, settings?})
 *     → CheckOutcome: the checks and the variance probe as diagnostics, stats and the reward
 *       hover data, and `inputs`, the files its bundle read. With a `RunnerPool` the probe
 *       runs in a warm runner that serves check after check (on-type feedback); when every
 *       runner of the pool is busy it waits for one, the highest `priority()` first;
 *       aborting `signal` resolves at once with `stopped: true` (the probe saves nothing;
 *       its runner is freed or killed behind it). `sources(path)` gives the unsaved
 *       contents of an imported file (an editor's open buffer), undefined for the disk's.
 *
 *   startTraining(file, {settings?, runDir?, onProgress?, throttleMs?, onStart?, onBackend?,
 *                       onPlayback?, signal?, pool?}) → {result, stop()}
 *     → TrainResult on `result`. `stop()` (or aborting `signal`) ends the training within a
 *       second: when the current update finishes in time the run is saved with
 *       `reason: "stopped"`, otherwise the runner is killed and no run folder is left.
 *       `onProgress(latest, merged)` is called per update, or at most once per `throttleMs`
 *       with every update since the last call (the editor passes 50: 20 a second).
 *       `onPlayback` receives an episode of the current policy about every 3 s when the
 *       environment has `render()`. `runDir` is written through a staging folder: it is
 *       complete (metrics, policy, summary.json) or absent; a bad one throws `RunDirError`.
 *   trainEnvironment(file, options) = startTraining(file, options).result
 *
 *   playbackEpisode(file, {policy, mode, maxFrames?, seed?, contents?, signal?, pool?})
 *     → PlaybackResult: one episode of a policy (a run folder's, `readRunPolicy(dir)`, or a
 *       training's), with `render()` called after the reset and every step.
 *
 * Both results share one shape: `ok` (ran to its end without errors), `diagnostics`,
 * `backend` and `backendReason` (which backend, and why: design §7), plus what each one
 * produced (`stats`/`summary` for a check, `summary`/`reason` for a training). A bad
 * setting or our own bug (not the user's code) throws `EngineError`.
 */
import * as path from "node:path";
import type {
  BackendChoice,
  BackendName,
  CheckResult,
  Diagnostic,
  FailingEpisode,
  PlaybackResult,
  PolicyWeights,
  TrainingSettings,
} from "./protocol";
import type { ReplayStep } from "./rl/failingEpisode";
import { bundleEnvironment } from "./sandbox/bundle";
import { readSavedPolicy } from "./engine/savedPolicy";
import type { SavedPolicy } from "./rl/savedPolicy";
import { reserveRunner, runFuzz, runPlayback, runProbe, runReplay, type RunnerPool } from "./sandbox/hostJobs";
import { diagnostic, failureDiagnostic, findSourcePlaces, readSource, transpileDiagnostic } from "./check/diagnostics";
import { probeDiagnostics } from "./check/rules";
import { applySuppressions } from "./check/suppressions";
import { failureDiagnostics } from "./engine/outcomes";

export { EngineError } from "./engine/outcomes";
export { RunDirError } from "./engine/runFolder";
export { startTraining, trainEnvironment, type TrainOptions, type TrainResult, type TrainingHandle } from "./engine/training";
export { defaultMaxRunners, RunnerPool } from "./sandbox/hostJobs";
export type { TrainingStart } from "./sandbox/runnerMessages";
export { NATIVE_ABSENT_NOTE, nativeInstalled } from "./rl/nativeInstall";
// What the language server and the CLI read of the engine besides checks and trainings: one door.
export { diagnostic, findSourcePlaces } from "./check/diagnostics";
export { rewardHoverMarkdown } from "./check/hover";
export type { SourcePlaces } from "./check/sourcePlaces";
// The syntax tree's one reader, for the language server's edits of the user's source.
export {
  declaresTopLevel,
  findEnvironmentClass,
  findTrainingExport,
  hasModifier,
  parseSource,
  rangeOfNode,
  unwrap,
} from "./check/sourcePlaces";
export { describeReplayStep, type ReplayStep } from "./rl/failingEpisode";
export { settingsProblems } from "./engine/training";
export { MAX_PROBE_EPISODES } from "./rl/limits";
export { DEFAULT_SETTINGS } from "./rl/settings";

export interface CommonOptions {
  backend?: BackendChoice;
  /** Unsaved editor contents of the file, when they differ from disk. */
  contents?: string;
  callTimeoutMs?: number;
  memoryLimitMb?: number;
  signal?: AbortSignal;
  /** Warm runners (the language server keeps one); otherwise each call starts its own. */
  pool?: RunnerPool;
  /** With a pool whose runners are all busy: waiting calls with a higher priority get a runner first. */
  priority?: () => number;
  /** Unsaved contents of an imported file by its absolute path (an editor's buffer); undefined: the file on disk. */
  sources?: (file: string) => string | undefined;
}

export interface CheckOptions extends CommonOptions {
  /**
   * Exactly this many probe episodes; otherwise the probe's fixed sample, set by the file, its
   * settings and the seed, never by the clock (design §3).
   */
  episodes?: number;
  settings?: Partial<TrainingSettings>;
}

/**
 * Checks that run no user code (an untrusted workspace): esbuild's transpile errors and a
 * missing default-exported Environment class, found in the syntax tree.
 */
export async function staticCheck(file: string, contents: string, sources?: Sources): Promise<TranspileCheck> {
  const entry = path.resolve(file);
  const transpiled = await transpileCheck(entry, contents, sources);
  if (transpiled.diagnostics.length) return transpiled;
  const places = findSourcePlaces(entry, readSource(entry, contents));
  if (places.environmentClass) return transpiled;
  const missing = diagnostic(
    "missing-environment",
    places.otherEnvironmentClass
      ? "the class extending Environment is not the default export: add `export default` to it"
      : 'the file has no default export: add `export default class MyEnv extends Environment { ... }` (Environment from "rl-playground")',
    entry,
    places.otherEnvironmentClass ?? places.file,
  );
  return { diagnostics: [missing], inputs: transpiled.inputs };
}

/** Unsaved contents of a file by its absolute path (an open editor), undefined for the disk's. */
export type Sources = (file: string) => string | undefined;

export interface TranspileCheck {
  diagnostics: Diagnostic[];
  /** The files the bundle read. */
  inputs: string[];
}

/**
 * esbuild's transpile errors: the bundling the full check starts with, so the full check
 * reports exactly these. (A missing environment found in the syntax tree is not certain: a
 * default export re-exported or returned by a call is found only by loading the module.)
 */
export async function transpileCheck(file: string, contents: string, sources?: Sources): Promise<TranspileCheck> {
  const bundled = await bundleEnvironment(path.resolve(file), contents, { sources });
  return { diagnostics: bundled.ok ? [] : bundled.errors.map(transpileDiagnostic), inputs: bundled.inputs };
}

/**
 * How long the editor waits for a check before it publishes what is certain (compile errors,
 * static checks) and says "measuring…" for the statistics, which follow when the probe's fixed
 * sample is done. It never changes the sample.
 */
export const DEFAULT_PROBE_BUDGET_MS = 200;

export interface CheckOutcome extends CheckResult {
  /** The probe ran and found no error. */
  ok: boolean;
  /** The caller's signal stopped it (then there are no diagnostics and no stats). */
  stopped: boolean;
  backendReason: string | null;
  /** The absolute paths of the files the check's bundle read (the environment file first): a change to one changes the check. */
  inputs: string[];
}

export async function checkEnvironment(file: string, options: CheckOptions = {}): Promise<CheckOutcome> {
  const entry = path.resolve(file);
  // With a pool, the check takes its place in the runners' queue now, while its file bundles.
  const reservation = options.pool ? reserveRunner(options.pool, options) : undefined;
  let bundled: Awaited<ReturnType<typeof bundleEnvironment>>;
  try {
    bundled = await bundleEnvironment(entry, options.contents, { sources: options.sources });
  } catch (error) {
    reservation?.release();
    throw error;
  }
  const base = { file: entry, stats: null, summary: null, backend: null, backendReason: null, stopped: false, inputs: bundled.inputs };
  if (!bundled.ok || options.signal?.aborted) reservation?.release();
  if (!bundled.ok) return { ...base, ok: false, diagnostics: bundled.errors.map(transpileDiagnostic) };
  if (options.signal?.aborted) return { ...base, ok: false, diagnostics: [], stopped: true };
  let backendReason: string | null = null;
  const probing = runProbe(
    bundled.bundle,
    {
      kind: "probe",
      probe: { episodes: options.episodes, overrides: options.settings ?? {} },
    },
    { ...options, reservation, onBackend: (_backend, reason) => (backendReason = reason) },
  );
  // The runner probes in its own process: find the places for the diagnostics meanwhile.
  const source = readSource(entry, options.contents);
  const places = findSourcePlaces(entry, source);
  const outcome = await probing;
  if (outcome.ok) {
    const report = outcome.value;
    const diagnostics = applySuppressions(probeDiagnostics(report, entry, places), entry, source);
    const ok = !diagnostics.some((d) => d.severity === "error");
    return { ...base, ok, diagnostics, stats: report.stats, summary: report.summary, backend: outcome.backend, backendReason };
  }
  if ("cancelled" in outcome) return { ...base, ok: false, diagnostics: [], backend: outcome.backend, backendReason, stopped: true };
  const diagnostics = applySuppressions(failureDiagnostics(outcome, entry, options.contents), entry, source);
  return { ...base, ok: false, diagnostics, backend: outcome.backend, backendReason };
}

export interface PlaybackOptions extends CommonOptions {
  /** The policy: a run folder's (`readRunPolicy(runDir)`), or weights given as numbers (a training's own plays in `onPlayback`). */
  policy: PolicyWeights | SavedPolicy;
  mode: "greedy" | "sampled";
  /** Frames beyond this are cut (default 500). */
  maxFrames?: number;
  /** The reset's seed (default 0). */
  seed?: number;
}

/** The policy a training saved in its run folder; throws when a file of it is missing or not JSON. */
export function readRunPolicy(runDir: string): SavedPolicy {
  return readSavedPolicy(runDir);
}

export async function playbackEpisode(file: string, options: PlaybackOptions): Promise<PlaybackResult & { backend?: BackendName | null }> {
  const entry = path.resolve(file);
  const bundled = await bundleEnvironment(entry, options.contents);
  if (!bundled.ok) return { ok: false, reason: "error", message: bundled.errors[0].message };
  const outcome = await runPlayback(
    bundled.bundle,
    {
      kind: "playback",
      playback: { policy: options.policy, mode: options.mode, maxFrames: options.maxFrames ?? 500, seed: options.seed ?? 0 },
    },
    options,
  );
  if (outcome.ok) return outcome.value;
  if ("cancelled" in outcome) return { ok: false, reason: "error", message: "the playback was stopped" };
  if ("failure" in outcome) return { ok: false, reason: "error", message: outcome.failure.message };
  return { ok: false, reason: "error", message: outcome.error };
}

export interface ReplayOptions extends CommonOptions {
  episode: FailingEpisode;
}

/** A failing episode's replay: every step's action, observation and reward, then the diagnostic it ends in (or none). */
export interface EpisodeReplay {
  steps: ReplayStep[];
  diagnostic: Diagnostic | null;
  backend: BackendName | null;
}

/**
 * Replays a failing episode (a diagnostic's `episode`) step by step in a runner: "Replay failing
 * episode" in the editor, `rl-playground replay` on the command line. A bad setting or our own
 * bug throws `EngineError`.
 */
export async function replayFailingEpisode(file: string, options: ReplayOptions): Promise<EpisodeReplay> {
  const entry = path.resolve(file);
  const bundled = await bundleEnvironment(entry, options.contents);
  if (!bundled.ok) return { steps: [], diagnostic: transpileDiagnostic(bundled.errors[0]), backend: null };
  const outcome = await runReplay(bundled.bundle, { kind: "replay", episode: options.episode }, options);
  const source = readSource(entry, options.contents);
  const places = findSourcePlaces(entry, source);
  if (outcome.ok) {
    const { steps, failure } = outcome.value;
    return { steps, diagnostic: failure ? failureDiagnostic(failure, entry, source, places) : null, backend: outcome.backend };
  }
  if ("cancelled" in outcome) return { steps: [], diagnostic: null, backend: outcome.backend };
  return { steps: [], diagnostic: failureDiagnostics(outcome, entry, options.contents)[0] ?? null, backend: outcome.backend };
}

export interface FuzzOptions extends CommonOptions {
  /** Episodes of random actions to play (one per seed). */
  episodes: number;
  /** The first episode's seed (default 0). */
  seed?: number;
}

export interface FuzzResult {
  file: string;
  /** Episodes played (fewer when a failure ended the runner, say a time-out). */
  episodes: number;
  /** One per kind of failure, with the first one's shrunk episode, and how many episodes failed so. */
  findings: { diagnostic: Diagnostic; count: number }[];
  backend: BackendName | null;
}

/**
 * Plays episodes of uniformly random actions looking for failures the policy's own episodes
 * would not reach (RL: Fuzz Environment, `rl-playground fuzz`), grouped by kind, each with the
 * episode that leads to it. A failure that ends the runner (a time-out, a crash) ends the fuzzing
 * and is the one finding.
 */
export async function fuzzEnvironment(file: string, options: FuzzOptions): Promise<FuzzResult> {
  const entry = path.resolve(file);
  const bundled = await bundleEnvironment(entry, options.contents);
  const base = { file: entry, backend: null };
  if (!bundled.ok) return { ...base, episodes: 0, findings: [{ diagnostic: transpileDiagnostic(bundled.errors[0]), count: 1 }] };
  const outcome = await runFuzz(bundled.bundle, { kind: "fuzz", episodes: options.episodes, seed: options.seed ?? 0 }, options);
  const source = readSource(entry, options.contents);
  const places = findSourcePlaces(entry, source);
  if (outcome.ok)
    return {
      ...base,
      backend: outcome.backend,
      episodes: outcome.value.episodes,
      findings: outcome.value.findings.map((f) => ({ diagnostic: failureDiagnostic(f.failure, entry, source, places), count: f.count })),
    };
  if ("cancelled" in outcome) return { ...base, backend: outcome.backend, episodes: 0, findings: [] };
  return {
    ...base,
    backend: outcome.backend,
    episodes: 0,
    findings: failureDiagnostics(outcome, entry, options.contents).map((diagnostic) => ({ diagnostic, count: 1 })),
  };
}
