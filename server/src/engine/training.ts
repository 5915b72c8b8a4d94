/**
 * A training as the API offers it: started in a runner, a handle to stop it, progress
 * merged for an editor, playbacks of the current policy, and a run folder that is complete
 * or absent (`runFolder.ts`). See `api.ts` for the contract.
 */
import * as path from "node:path";
import type { BackendChoice, BackendName, Diagnostic, EndReason, PlaybackResult, TrainingSettings, TrainingSummary } from "../protocol";
import { transpileDiagnostic } from "../check/diagnostics";
import { termDiagnostics } from "../check/trainingRules";
import { bundleEnvironment } from "../sandbox/bundle";
import { runTraining, type RunnerPool } from "../sandbox/hostJobs";
import { resolveSettings } from "../rl/settings";
import type { TrainingHeartbeat } from "../rl/train";
import { UserCodeError } from "../rl/userCode";
import type { TrainingStart } from "../sandbox/runnerMessages";
import { failureDiagnostics } from "./outcomes";
import { ProgressMerge, type ProgressListener } from "./progressMerge";
import { StagedRunDir } from "./runFolder";

export interface TrainOptions {
  backend?: BackendChoice;
  /** Unsaved editor contents of the file, when they differ from disk. */
  contents?: string;
  callTimeoutMs?: number;
  memoryLimitMb?: number;
  /** Aborting stops the training (as `TrainingHandle.stop`). */
  signal?: AbortSignal;
  /** A pool to take the runner from (the training then holds it until it ends). */
  pool?: RunnerPool;
  settings?: Partial<TrainingSettings>;
  /**
   * Run folder; null or absent saves nothing. Checked before the run: a bad one throws
   * `RunDirError`. A folder with files in it is refused unless it holds a previous run.
   */
  runDir?: string | null;
  /** `runDir` is a name made up for this run (`<name>-<time>`): never replaced; `-2`, `-3`, … when taken. */
  freshRunDir?: boolean;
  continueAfterSolved?: boolean;
  /**
   * Every update's metrics, merged to one call per `throttleMs` (default 0: every update):
   * `latest` and every update since the previous call. The last update is always delivered.
   */
  onProgress?: ProgressListener;
  throttleMs?: number;
  /** At least once a second while an update is under way (a slow environment can take minutes per update). */
  onHeartbeat?(heartbeat: TrainingHeartbeat): void;
  /** The backend, and why it was picked ("wasm: a policy of 1.2k parameters is under ..."). */
  onBackend?(backend: BackendName, reason: string): void;
  /** The environment, its settings and threshold, before the first update. */
  onStart?(start: TrainingStart): void;
  /** An episode of the current policy every `playbackEveryMs` (default 3000) when the environment has `render()`. */
  onPlayback?(result: PlaybackResult): void;
  playbackEveryMs?: number;
  playbackMode?: "greedy" | "sampled";
}

/**
 * How a training ended. `ok` is true when it ran to its end (solved or budget spent);
 * `reason` says why it ended; `summary` is there whenever the training ended by itself or
 * stopped in time to save (`reason: "stopped"`), null when it failed or was cut short.
 */
export type TrainResult =
  | {
      ok: true;
      reason: "solved" | "budget";
      summary: TrainingSummary;
      diagnostics: Diagnostic[];
      message: null;
      backend: BackendName;
      backendReason: string | null;
    }
  | {
      ok: false;
      reason: Exclude<EndReason, "solved" | "budget">;
      summary: TrainingSummary | null;
      diagnostics: Diagnostic[];
      message: string;
      backend: BackendName | null;
      backendReason: string | null;
    };

export interface TrainingHandle {
  result: Promise<TrainResult>;
  /** Ends the training within a second (it saves its run as stopped when it can). */
  stop(): void;
}

export function startTraining(file: string, options: TrainOptions = {}): TrainingHandle {
  const controller = new AbortController();
  const onAbort = () => controller.abort();
  if (options.signal?.aborted) controller.abort();
  else options.signal?.addEventListener("abort", onAbort, { once: true });
  // A bad run folder is the caller's error, thrown now rather than from the promise.
  const staged = options.runDir ? StagedRunDir.create(options.runDir, { fresh: options.freshRunDir }) : null;
  const result = train(path.resolve(file), options, controller.signal, staged).finally(() =>
    options.signal?.removeEventListener("abort", onAbort),
  );
  return { result, stop: () => controller.abort() };
}

async function train(entry: string, options: TrainOptions, signal: AbortSignal, staged: StagedRunDir | null): Promise<TrainResult> {
  let backendReason: string | null = null;
  const bundled = await bundleEnvironment(entry, options.contents);
  if (!bundled.ok) {
    staged?.discard();
    const diagnostics = bundled.errors.map(transpileDiagnostic);
    return { ok: false, reason: "error", summary: null, diagnostics, message: diagnostics[0].message, backend: null, backendReason };
  }
  const merge = options.onProgress ? new ProgressMerge(options.onProgress, options.throttleMs ?? 0) : null;
  const outcome = await runTraining(
    bundled.bundle,
    {
      kind: "train",
      overrides: options.settings ?? {},
      runDir: staged?.staging ?? null,
      continueAfterSolved: options.continueAfterSolved,
      playbackEveryMs: options.onPlayback ? (options.playbackEveryMs ?? 3000) : null,
      playbackMode: options.playbackMode,
    },
    {
      ...options,
      signal,
      onProgress: merge ? (m) => merge.push(m) : undefined,
      onBackend: (backend, reason) => {
        backendReason = reason;
        options.onBackend?.(backend, reason);
      },
    },
  );
  merge?.flush();
  if (outcome.ok) {
    const summary = { ...outcome.value, file: entry, backendReason: backendReason ?? undefined };
    const saved = staged ? staged.commit(summary) : summary;
    // What the run showed of each named term, on the term (a stopped run too: its updates happened).
    const diagnostics = termDiagnostics(saved.termFindings, entry, options.contents);
    if (saved.reason === "solved" || saved.reason === "budget")
      return { ok: true, reason: saved.reason, summary: saved, diagnostics, message: null, backend: saved.backend, backendReason };
    return {
      ok: false,
      reason: "stopped",
      summary: saved,
      diagnostics,
      message: "training was stopped",
      backend: saved.backend,
      backendReason,
    };
  }
  staged?.discard();
  const { backend } = outcome;
  if ("cancelled" in outcome)
    return { ok: false, reason: "stopped", summary: null, diagnostics: [], message: "training was stopped", backend, backendReason };
  const diagnostics = failureDiagnostics(outcome, entry, options.contents);
  return { ok: false, reason: "error", summary: null, diagnostics, message: diagnostics[0]?.message ?? "failed", backend, backendReason };
}

/** `startTraining(...).result`; a bad run folder rejects with `RunDirError`. */
export async function trainEnvironment(file: string, options: TrainOptions = {}): Promise<TrainResult> {
  return startTraining(file, options).result;
}

/**
 * What is wrong with training settings given by a caller (an editor's request), as the file's
 * `training` export is held to: a value of the wrong type or out of range, and a key that is
 * no setting (a typo would otherwise be ignored). One sentence each, the settings named
 * `<name>.<key>`; empty when every setting is valid.
 */
export function settingsProblems(settings: Record<string, unknown>, name = "settings"): string[] {
  try {
    resolveSettings(settings);
    return [];
  } catch (error) {
    if (!(error instanceof UserCodeError)) throw error;
    return [error.failure, ...(error.failure.also ?? [])].map((f) => f.message.replace(/^training\./, `${name}.`));
  }
}
