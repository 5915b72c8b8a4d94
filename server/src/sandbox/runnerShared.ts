/** What every kind of runner shares: options, outcomes, limits, and where our scripts are. */
import * as fs from "node:fs";
import * as path from "node:path";
import type { BackendChoice, BackendName, PlaybackResult, UpdateMetrics } from "../protocol";
import type { TrainingHeartbeat } from "../rl/train";
import type { TrainingStart } from "./runnerMessages";

export interface RunnerOptions {
  backend?: BackendChoice;
  /**
   * A call into user code whose thread spends more CPU time than this in it is stopped (an
   * endless loop); one that runs 30 times as long on the wall clock is stopped too (blocked,
   * see `WALL_BACKSTOP_FACTOR`). Where the thread's CPU time cannot be read (no /proc), the
   * wall clock is held to this limit itself.
   */
  callTimeoutMs?: number;
  /** Heap limit of the runner; exceeding it is reported as a crash, not a hang. */
  memoryLimitMb?: number;
  signal?: AbortSignal;
  onProgress?(metrics: UpdateMetrics): void;
  /** Training only: at least once a second while an update is under way, even inside one slow user call. */
  onHeartbeat?(heartbeat: TrainingHeartbeat): void;
  /** The backend the job runs on, and why it was picked. */
  onBackend?(backend: BackendName, reason: string): void;
  /** An episode of the current policy, played during training (see `RunnerJob`). */
  onPlayback?(result: PlaybackResult): void;
  /** A training's environment and settings, before its first update. */
  onStart?(start: TrainingStart): void;
}

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
