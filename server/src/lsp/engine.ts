/**
 * The language server's one door into the engine (`server/src/api.ts`). Everything the
 * server asks of the engine goes through here, so that changes to the engine's API land
 * in this file only. No LSP types here: plain engine types in and out.
 */
import * as path from "node:path";
import { checkEnvironment, EngineError, trainEnvironment } from "../api";
import { findSourcePlaces, readSource, transpileDiagnostic, diagnostic } from "../check/diagnostics";
import { rewardHoverMarkdown } from "../check/hover";
import type {
  BackendChoice,
  BackendName,
  Diagnostic,
  PlaybackParams,
  PlaybackResult,
  ProbeStats,
  RewardSummary,
  TrainingSettings,
  TrainingSummary,
  UpdateMetrics,
} from "../protocol";
import { DEFAULT_SETTINGS, resolveSettings } from "../rl/settings";
import { bundleEnvironment } from "../sandbox/bundle";
import { RunnerPool } from "../sandbox/runner";
import { readTrainingLiteral, staticActionSpace, staticEnvironmentName, staticRewardThreshold } from "./sourceFacts";

export { rewardHoverMarkdown, findSourcePlaces };
export { DEFAULT_PROBE_BUDGET_MS } from "../api";
export type { SourcePlaces } from "../check/sourcePlaces";

/** What one check of a document found. */
export interface DocumentCheck {
  diagnostics: Diagnostic[];
  stats: ProbeStats | null;
  summary: RewardSummary | null;
  backend: BackendName | null;
  /** A newer edit (or a closed document) cancelled it: publish nothing. */
  cancelled: boolean;
  /** The engine itself failed (a bad setting or our bug): for the log, not a diagnostic. */
  engineError?: string;
}

/** Warm runners, one pool per backend choice (the backend setting is per resource). */
export class RunnerPools {
  private readonly pools = new Map<BackendChoice, RunnerPool>();

  get(backend: BackendChoice): RunnerPool {
    let pool = this.pools.get(backend);
    if (!pool) {
      pool = new RunnerPool(backend);
      pool.warm();
      this.pools.set(backend, pool);
    }
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
}

/** The full check: bundling, the environment checks and the variance probe, in a runner. */
export async function checkDocument(request: CheckRequest): Promise<DocumentCheck> {
  try {
    const result = await checkEnvironment(request.file, {
      contents: request.contents,
      backend: request.backend,
      budgetMs: request.budgetMs,
      pool: request.pool,
      signal: request.signal,
    });
    return {
      diagnostics: result.diagnostics,
      stats: result.stats,
      summary: result.summary,
      backend: result.backend,
      cancelled: result.cancelled === true || request.signal.aborted,
    };
  } catch (error) {
    if (!(error instanceof EngineError)) throw error;
    return { diagnostics: [], stats: null, summary: null, backend: null, cancelled: false, engineError: error.message };
  }
}

/**
 * Checks that run no user code (an untrusted workspace): esbuild's transpile errors and a
 * missing default-exported Environment class, found in the syntax tree.
 */
export async function staticCheck(file: string, contents: string): Promise<Diagnostic[]> {
  const entry = path.resolve(file);
  const bundled = await bundleEnvironment(entry, contents);
  if (!bundled.ok) return bundled.errors.map(transpileDiagnostic);
  const places = findSourcePlaces(entry, readSource(entry, contents));
  if (places.environmentClass) return [];
  return [
    diagnostic(
      "missing-environment",
      places.otherEnvironmentClass
        ? "the class extending Environment is not the default export: add `export default` to it"
        : 'the file has no default export: add `export default class MyEnv extends Environment { ... }` (Environment from "rl-playground")',
      entry,
      places.otherEnvironmentClass ?? places.file,
    ),
  ];
}

/** What the dashboard needs when a training starts (sent with the first update). */
export interface TrainingStartInfo {
  environment: string;
  backend: BackendName | null;
  settings: TrainingSettings;
  rewardThreshold: number | null;
  actionSpace: { kind: "discrete"; n: number } | { kind: "box"; dims: number };
}

export type TrainingOutcome =
  { ok: true; summary: TrainingSummary } | { ok: false; reason: "stopped" | "error"; message: string; diagnostics: Diagnostic[] };

export interface TrainingRequest {
  file: string;
  contents: string;
  backend: BackendChoice;
  settings: Partial<TrainingSettings>;
  runDir: string;
  signal: AbortSignal;
  /** Called once, before the first update's progress. */
  onStarted(info: TrainingStartInfo): void;
  onProgress(metrics: UpdateMetrics): void;
}

/**
 * Trains in the engine's runner process (never in the server's). The start information
 * comes from the first update (the policy snapshot names the action space) and, until
 * the engine reports the environment's spec itself, from the file's syntax tree.
 */
export async function trainDocument(request: TrainingRequest): Promise<TrainingOutcome> {
  const entry = path.resolve(request.file);
  let backend: BackendName | null = null;
  let started = false;
  try {
    const result = await trainEnvironment(entry, {
      contents: request.contents,
      backend: request.backend,
      settings: request.settings,
      runDir: request.runDir,
      signal: request.signal,
      onBackend: (b) => (backend = b),
      onProgress: (metrics) => {
        if (!started) {
          started = true;
          request.onStarted(startInfo(entry, request, backend, metrics));
        }
        request.onProgress(metrics);
      },
    });
    if (result.ok) return { ok: true, summary: result.summary };
    return { ok: false, reason: result.reason, message: result.message, diagnostics: result.diagnostics };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { ok: false, reason: "error", message: `the engine failed: ${message}`, diagnostics: [] };
  }
}

function startInfo(file: string, request: TrainingRequest, backend: BackendName | null, first: UpdateMetrics): TrainingStartInfo {
  const source = request.contents;
  let settings: TrainingSettings;
  try {
    settings = resolveSettings(readTrainingLiteral(source), request.settings);
  } catch {
    settings = resolveSettings(request.settings);
  }
  settings.maxEpisodes = first.episodeBudget;
  const policy = first.policy;
  const actionSpace: TrainingStartInfo["actionSpace"] =
    policy?.kind === "discrete"
      ? { kind: "discrete", n: policy.actionProbs[0]?.length ?? 0 }
      : policy?.kind === "box"
        ? { kind: "box", dims: policy.std.length }
        : (staticActionSpace(source) ?? { kind: "discrete", n: 0 });
  return {
    environment: staticEnvironmentName(source) ?? path.basename(file).replace(/\.rl\.ts$|\.ts$/, ""),
    backend,
    settings,
    rewardThreshold: staticRewardThreshold(source),
    actionSpace,
  };
}

/**
 * One episode of the current policy, for the dashboard. The engine does not offer
 * playback yet, so this says so instead of inventing frames.
 */
export async function playbackEpisode(params: PlaybackParams): Promise<PlaybackResult> {
  return {
    ok: false,
    reason: "error",
    message: `playback of ${path.basename(params.uri)} is not available yet: the engine has no playback function in this build`,
  };
}

/** Default settings the server shows or merges (re-exported so the server never imports the engine directly). */
export function defaultTrainingSettings(): TrainingSettings {
  return structuredClone(DEFAULT_SETTINGS);
}
