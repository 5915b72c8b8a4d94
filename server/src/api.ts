/**
 * The engine's entry points for the CLI, the language server and tests: check an
 * environment file (diagnostics + the variance probe) or train on it. Both bundle the
 * file, run it in an isolated runner with time limits, stream progress, can be
 * cancelled with an AbortSignal, and report user-code failures as diagnostics.
 */
import * as path from "node:path";
import type { BackendChoice, BackendName, CheckResult, Diagnostic, TrainingSettings, TrainingSummary, UpdateMetrics } from "./protocol";
import { bundleEnvironment } from "./sandbox/bundle";
import { runProbe, runTraining, type RunnerOutcome, type RunnerPool } from "./sandbox/runner";
import { failureDiagnostic, findSourcePlaces, readSource, transpileDiagnostic } from "./check/diagnostics";
import { probeDiagnostics } from "./check/rules";
import type { TrainingHeartbeat } from "./rl/train";

export interface CommonOptions {
  backend?: BackendChoice;
  /** Unsaved editor contents of the file, when they differ from disk. */
  contents?: string;
  callTimeoutMs?: number;
  memoryLimitMb?: number;
  signal?: AbortSignal;
  /** Runners started ahead of time (the language server keeps one); otherwise each call starts its own. */
  pool?: RunnerPool;
}

export interface CheckOptions extends CommonOptions {
  /** Exactly this many probe episodes; otherwise as many as fit in `budgetMs`. */
  episodes?: number;
  budgetMs?: number;
  settings?: Partial<TrainingSettings>;
}

/** The probe's target time (runner already started): on-type feedback. */
export const DEFAULT_PROBE_BUDGET_MS = 300;

export async function checkEnvironment(file: string, options: CheckOptions = {}): Promise<CheckResult & { cancelled?: boolean }> {
  const entry = path.resolve(file);
  const bundled = await bundleEnvironment(entry, options.contents);
  if (!bundled.ok) return { file: entry, diagnostics: bundled.errors.map(transpileDiagnostic), stats: null, summary: null, backend: null };
  const source = readSource(entry, options.contents);
  const places = findSourcePlaces(entry, source);
  const outcome = await runProbe(
    bundled.bundle,
    {
      kind: "probe",
      probe: { episodes: options.episodes, budgetMs: options.budgetMs ?? DEFAULT_PROBE_BUDGET_MS, overrides: options.settings ?? {} },
    },
    options,
  );
  if (outcome.ok) {
    const report = outcome.value;
    return {
      file: entry,
      diagnostics: probeDiagnostics(report, entry, places),
      stats: report.stats,
      summary: report.summary,
      backend: outcome.backend,
    };
  }
  return {
    file: entry,
    diagnostics: outcomeDiagnostics(outcome, entry, source, places),
    stats: null,
    summary: null,
    backend: outcome.backend,
    ...("cancelled" in outcome ? { cancelled: true } : {}),
  };
}

export interface TrainOptions extends CommonOptions {
  settings?: Partial<TrainingSettings>;
  /** Run folder; null saves nothing. */
  runDir?: string | null;
  continueAfterSolved?: boolean;
  onProgress?(metrics: UpdateMetrics): void;
  /** At least once a second while an update is under way (a slow environment can take minutes per update). */
  onHeartbeat?(heartbeat: TrainingHeartbeat): void;
  onBackend?(backend: BackendName): void;
}

export type TrainResult =
  | { ok: true; summary: TrainingSummary }
  | { ok: false; reason: "error" | "stopped"; diagnostics: Diagnostic[]; message: string; backend: BackendName | null };

export async function trainEnvironment(file: string, options: TrainOptions = {}): Promise<TrainResult> {
  const entry = path.resolve(file);
  const bundled = await bundleEnvironment(entry, options.contents);
  if (!bundled.ok) {
    const diagnostics = bundled.errors.map(transpileDiagnostic);
    return { ok: false, reason: "error", diagnostics, message: diagnostics[0].message, backend: null };
  }
  const outcome = await runTraining(
    bundled.bundle,
    { kind: "train", overrides: options.settings ?? {}, runDir: options.runDir ?? null, continueAfterSolved: options.continueAfterSolved },
    options,
  );
  if (outcome.ok) return { ok: true, summary: outcome.value };
  if ("cancelled" in outcome)
    return { ok: false, reason: "stopped", diagnostics: [], message: "training was stopped", backend: outcome.backend };
  const source = readSource(entry, options.contents);
  const diagnostics = outcomeDiagnostics(outcome, entry, source, findSourcePlaces(entry, source));
  return {
    ok: false,
    reason: "error",
    diagnostics,
    message: diagnostics[0]?.message ?? ("error" in outcome ? outcome.error : "failed"),
    backend: outcome.backend,
  };
}

function outcomeDiagnostics(
  outcome: RunnerOutcome<unknown>,
  file: string,
  source: string,
  places: ReturnType<typeof findSourcePlaces>,
): Diagnostic[] {
  if (outcome.ok || "cancelled" in outcome) return [];
  if ("failure" in outcome) return [failureDiagnostic(outcome.failure, file, source, places)];
  throw new EngineError(outcome.error);
}

/** Not the user's code: a bad setting or our own bug. */
export class EngineError extends Error {}
