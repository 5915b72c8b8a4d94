/** What crosses between a runner (worker thread) and its caller. */
export type { ProbeFacts, ProbeReport, ProbeRequest } from "../rl/probeReport";
import type { BackendChoice, BackendName, TrainingSettings, TrainingSummary, UpdateMetrics } from "../protocol";
import type { ProbeReport, ProbeRequest } from "../rl/probeReport";
import type { EnvironmentBundle } from "./bundle";
import type { UserCallName } from "./callGuard";
import type { UserFailure } from "./failure";
import type { RunnerOutcome } from "./runnerShared";

export type RunnerJob =
  | { kind: "train"; overrides: Partial<TrainingSettings>; runDir: string | null; continueAfterSolved?: boolean }
  | { kind: "probe"; probe: ProbeRequest };

/** The worker's `workerData`: it loads its backend at once, then waits for one job. */
export interface RunnerStart {
  backend: BackendChoice;
  guard: SharedArrayBuffer;
  /** Record every call entry in this file (see `CallGuard`). */
  traceFile?: string;
}

export interface RunnerJobMessage {
  type: "job";
  bundle: EnvironmentBundle;
  job: RunnerJob;
}

export type RunnerMessage =
  | { type: "backend"; backend: BackendName }
  | { type: "progress"; metrics: UpdateMetrics }
  | { type: "trained"; summary: TrainingSummary }
  | { type: "probed"; report: ProbeReport }
  | { type: "failed"; failure: UserFailure }
  | { type: "cancelled" }
  /** Our own bug or a bad setting: not the user's code. */
  | { type: "error"; message: string; stack?: string };

/** The runner process's start arguments. */
export interface HostStart {
  backend: BackendChoice;
  memoryLimitMb: number;
  traceFile?: string;
}

export type HostRequest = { type: "job"; bundle: EnvironmentBundle; job: RunnerJob; callTimeoutMs?: number } | { type: "cancel" };

export type HostMessage =
  | { type: "backend"; backend: BackendName }
  | { type: "call"; call: UserCallName; runningMs: number }
  | { type: "progress"; metrics: UpdateMetrics }
  | { type: "outcome"; outcome: RunnerOutcome<unknown> };
