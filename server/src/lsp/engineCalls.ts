/**
 * The language server's calls into the engine, all through `server/src/api.ts` (the one door):
 * a document's check, a training, a playback, a replay and a fuzzing, in the editor's terms
 * (runner pools per backend, editor wording for engine failures). No LSP types here: plain
 * engine types in and out.
 */
import * as path from "node:path";
import {
  checkEnvironment,
  defaultMaxRunners,
  EngineError,
  playbackEpisode as enginePlayback,
  readRunPolicy,
  RunnerPool,
  startTraining,
  findSourcePlaces,
  diagnostic,
  rewardHoverMarkdown,
  replayFailingEpisode,
  fuzzEnvironment,
  settingsProblems,
  type Sources,
} from "../api";
import type {
  BackendChoice,
  FailingEpisode,
  BackendName,
  Diagnostic,
  PlaybackParams,
  PlaybackResult,
  ProbeStats,
  RewardSummary,
  TrainingSettings,
  TrainingStartedParams,
  TrainingSummary,
  UpdateMetrics,
} from "../protocol";

export { rewardHoverMarkdown, findSourcePlaces };
export { DEFAULT_PROBE_BUDGET_MS } from "../api";
export type { SourcePlaces } from "../api";

/** What one check of a document found. */
export interface DocumentCheck {
  diagnostics: Diagnostic[];
  stats: ProbeStats | null;
  summary: RewardSummary | null;
  backend: BackendName | null;
  /** Why that backend (design §7), as the engine says it. */
  backendReason: string | null;
  /** A newer edit (or a closed document) cancelled it: publish nothing. */
  cancelled: boolean;
  /** The engine itself failed (a bad setting or our bug): for the log; the diagnostics hold a `check-failed` warning. */
  engineError?: string;
  /** The files the check's bundle read (absolute paths): a change to one of them calls for a new check. */
  inputs: string[];
}

/** The runner processes the setting allows at once (`rlPlayground.maxRunners`; 0: one per core, at most 4). */
export function runnerBound(maxRunners: number): number {
  return maxRunners > 0 ? maxRunners : defaultMaxRunners();
}

/**
 * Warm runners, one pool per backend choice (the backend setting is per resource), each
 * holding at most `maxRunners` processes (0: `defaultMaxRunners()`). Pools of two backends each
 * have the bound: a workspace whose folders choose different backends is rare.
 */
export class RunnerPools {
  private readonly pools = new Map<BackendChoice, RunnerPool>();

  get(backend: BackendChoice, maxRunners = 0): RunnerPool {
    const max = runnerBound(maxRunners);
    let pool = this.pools.get(backend);
    if (!pool) {
      pool = new RunnerPool(backend, undefined, undefined, max);
      pool.warm();
      this.pools.set(backend, pool);
    } else if (pool.maxRunners !== max) pool.setMaxRunners(max);
    return pool;
  }

  async dispose(): Promise<void> {
    const pools = [...this.pools.values()];
    this.pools.clear();
    await Promise.all(pools.map((p) => p.dispose()));
  }
}

export interface CheckRequest {
  file: string;
  contents: string;
  backend: BackendChoice;
  budgetMs: number;
  pool: RunnerPool;
  signal: AbortSignal;
  /** When every runner is busy, higher goes first (the editor's active file). */
  priority: () => number;
  /** Open editors' contents of imported files, by absolute path. */
  sources: Sources;
}

/** The full check: bundling, the environment checks and the variance probe, in a runner. */
export async function checkDocument(request: CheckRequest): Promise<DocumentCheck> {
  try {
    const result = await checkEnvironment(request.file, {
      contents: request.contents,
      backend: request.backend,
      pool: request.pool,
      signal: request.signal,
      priority: request.priority,
      sources: request.sources,
    });
    return {
      diagnostics: result.diagnostics,
      stats: result.stats,
      summary: result.summary,
      backend: result.backend,
      backendReason: result.backendReason ?? null,
      cancelled: result.stopped || request.signal.aborted,
      inputs: result.inputs,
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return {
      diagnostics: [checkFailed(request.file, request.contents, editorFailure(message, request.backend))],
      stats: null,
      summary: null,
      backend: null,
      backendReason: null,
      cancelled: false,
      inputs: [path.resolve(request.file)],
      engineError: error instanceof EngineError ? message : error instanceof Error ? (error.stack ?? message) : message,
    };
  }
}

/** The setting that chose the backend, as a failure in the editor names it. */
export const BACKEND_SETTING = "rlPlayground.backend";

/**
 * The engine's reason in editor terms: a backend forced in the settings that cannot load names
 * the setting and what to set it to; the engine's advice for the command line (its options, its
 * npm scripts) does not apply in the editor and is left out.
 */
export function editorFailure(message: string, backend: BackendChoice): string {
  const unavailable = /backend is not available|no TensorFlow\.js backend/.test(message);
  if (!unavailable || backend === "auto") return message;
  const why = message.split(/\.\s+(?=Install|Use|use|Run)/)[0]!.replace(/[.\s]+$/, "");
  const native = backend === "tensorflow" ? ', or rlPlayground.tfjsNodePath to a folder that holds "@tensorflow/tfjs-node"' : "";
  return `the backend set in ${BACKEND_SETTING} ("${backend}") cannot load: ${why}. Set ${BACKEND_SETTING} to "auto"${native}`;
}

/**
 * A check that failed in the engine still says so in the file (a warning on its first
 * statement, in the Problems panel), rather than leaving it looking clean.
 */
function checkFailed(file: string, contents: string, message: string): Diagnostic {
  const place = findSourcePlaces(file, contents).file;
  return diagnostic(
    "check-failed",
    `RL Playground could not check this file: ${message.replace(/[.\s]+$/, "")}. No diagnostics about the environment are shown until a check succeeds; the output channel ("RL Playground") has the details.`,
    path.resolve(file),
    place,
  );
}

/** What the dashboard needs when a training starts. */
export type TrainingStartInfo = Omit<TrainingStartedParams, "runId" | "uri">;

export type TrainingOutcome =
  | { ok: true; summary: TrainingSummary; diagnostics: Diagnostic[] }
  | { ok: false; reason: "stopped" | "error"; message: string; diagnostics: Diagnostic[]; summary: TrainingSummary | null };

export interface TrainingRequest {
  file: string;
  contents: string;
  backend: BackendChoice;
  settings: Partial<TrainingSettings>;
  runDir: string;
  /** Called once, before the first update. */
  onStarted(info: TrainingStartInfo): void;
  /** Every update since the last call, oldest first; at most one call per `PROGRESS_INTERVAL_MS`. */
  onProgress(updates: UpdateMetrics[]): void;
  /** An episode of the current policy, every few seconds, when the environment can render. */
  onPlayback(result: PlaybackResult): void;
}

export interface TrainingRun {
  result: Promise<TrainingOutcome>;
  /** Ends the training within a second. */
  stop(): void;
}

/** What is wrong with a request's training settings, by the rules of the `training` export (empty: nothing). */
export const trainingSettingsProblems = (settings: Record<string, unknown>): string[] => settingsProblems(settings, "settings");

/** Progress reaches the server in batches at most 20 times a second; each update is still sent on (design §6). */
export const PROGRESS_INTERVAL_MS = 50;

/** Trains in the engine's runner process (never in the server's). */
export function trainDocument(request: TrainingRequest): TrainingRun {
  let backend: BackendName | null = null;
  try {
    const handle = startTraining(request.file, {
      contents: request.contents,
      backend: request.backend,
      settings: request.settings,
      runDir: request.runDir,
      freshRunDir: true,
      throttleMs: PROGRESS_INTERVAL_MS,
      onBackend: (b) => (backend = b),
      onStart: (start) => request.onStarted({ ...start, backend }),
      onProgress: (_latest, updates) => request.onProgress(updates),
      onPlayback: (result) => request.onPlayback(result),
    });
    const result = handle.result.then(
      (r): TrainingOutcome =>
        r.ok
          ? { ok: true, summary: r.summary, diagnostics: r.diagnostics }
          : { ok: false, reason: r.reason, message: r.message, diagnostics: r.diagnostics, summary: r.summary },
      (error: unknown): TrainingOutcome => engineFailure(error),
    );
    return { result, stop: () => handle.stop() };
  } catch (error) {
    return { result: Promise.resolve(engineFailure(error)), stop: () => undefined };
  }
}

function engineFailure(error: unknown): TrainingOutcome {
  const message = error instanceof Error ? error.message : String(error);
  return { ok: false, reason: "error", message: `the engine failed: ${message}`, diagnostics: [], summary: null };
}

/** One episode of the policy a run saved in `runDir`, for the dashboard. */
export async function playbackFromRun(
  file: string,
  contents: string | undefined,
  runDir: string,
  params: Pick<PlaybackParams, "mode" | "maxFrames">,
): Promise<PlaybackResult> {
  try {
    return await enginePlayback(file, { policy: readRunPolicy(runDir), mode: params.mode, maxFrames: params.maxFrames, contents });
  } catch (error) {
    return { ok: false, reason: "error", message: error instanceof Error ? error.message : String(error) };
  }
}

/** A failing episode replayed in a runner of the pool, step by step. */
export async function replayEpisode(file: string, contents: string, episode: FailingEpisode, backend: BackendChoice, pool: RunnerPool) {
  return replayFailingEpisode(file, { episode, contents, backend, pool });
}

/** Random episodes looking for failures, in a runner of the pool; aborting `signal` stops them (nothing is found then). */
export async function fuzzEnvironmentOf(
  file: string,
  contents: string,
  episodes: number,
  backend: BackendChoice,
  pool: RunnerPool,
  signal?: AbortSignal,
) {
  return fuzzEnvironment(file, { episodes, contents, backend, pool, signal });
}
