/** What crosses between a runner (worker thread) and its caller. */
import type { BackendChoice, BackendName, ProbeStats, TrainingSettings, TrainingSummary, UpdateMetrics } from "../protocol";
import type { EnvironmentBundle } from "./bundle";
import type { UserFailure } from "./failure";

export interface ProbeRequest {
  /** Exactly this many episodes, however long they take; otherwise adapt to `budgetMs`. */
  episodes?: number;
  budgetMs: number;
  /** Overrides on top of the file's `training` export (the probe uses its policy and baseline). */
  overrides: Partial<TrainingSettings>;
}

export type RunnerJob =
  | { kind: "train"; overrides: Partial<TrainingSettings>; runDir: string | null; continueAfterSolved?: boolean }
  | { kind: "probe"; probe: ProbeRequest };

export interface RunnerInput {
  bundle: EnvironmentBundle;
  backend: BackendChoice;
  job: RunnerJob;
  guard: SharedArrayBuffer;
}

export type ProbeOutcome = { stats: ProbeStats; findings: ProbeFinding[] };

/** A problem the probe saw that is not a failure of user code (issue: the full catalogue). */
export interface ProbeFinding {
  code: "never-terminates";
  message: string;
  call: "step";
}

export type RunnerMessage =
  | { type: "backend"; backend: BackendName }
  | { type: "progress"; metrics: UpdateMetrics }
  | { type: "trained"; summary: TrainingSummary }
  | { type: "probed"; outcome: ProbeOutcome }
  | { type: "failed"; failure: UserFailure }
  | { type: "cancelled" }
  /** Our own bug or a bad setting: not the user's code. */
  | { type: "error"; message: string; stack?: string };
