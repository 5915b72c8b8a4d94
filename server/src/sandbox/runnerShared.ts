/** What every kind of runner shares: options, outcomes, limits, and where our scripts are. */
import * as fs from "node:fs";
import * as path from "node:path";
import type { BackendChoice, BackendName, UpdateMetrics } from "../protocol";
import type { TrainingHeartbeat } from "../rl/train";
import type { UserFailure } from "./failure";
import type { RunnerPool } from "./runner";

export interface RunnerOptions {
  backend?: BackendChoice;
  /** A call into user code that takes longer than this is stopped (an endless loop). */
  callTimeoutMs?: number;
  /** Heap limit of the runner; exceeding it is reported as a crash, not a hang. */
  memoryLimitMb?: number;
  signal?: AbortSignal;
  /** Take a runner started ahead of time (backend and memory limit are the pool's). */
  pool?: RunnerPool;
  onProgress?(metrics: UpdateMetrics): void;
  /** Training only: at least once a second while an update is under way, even inside one slow user call. */
  onHeartbeat?(heartbeat: TrainingHeartbeat): void;
  onBackend?(backend: BackendName): void;
}

export type RunnerOutcome<T> =
  | { ok: true; value: T; backend: BackendName }
  | { ok: false; failure: UserFailure; backend: BackendName | null }
  | { ok: false; cancelled: true; backend: BackendName | null }
  | { ok: false; error: string; backend: BackendName | null };

export const DEFAULT_CALL_TIMEOUT_MS = 2000;
export const DEFAULT_MEMORY_LIMIT_MB = 1024;

/** A script of ours in `dist/`: next to this bundle, or, from the sources, in the package's dist/. */
export function builtScript(name: string): string {
  const beside = path.join(__dirname, name);
  if (fs.existsSync(beside)) return beside;
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  const built = path.join(dir, "dist", name);
  if (!fs.existsSync(built)) throw new Error(`${built} is missing: run \`npm run build\``);
  return built;
}
