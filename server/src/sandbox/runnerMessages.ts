/**
 * What crosses between the three parts of a runner: the host that runs jobs (the language
 * server, the CLI or the gym bridge: `host*.ts`), the runner process (`process*.ts`, entry
 * `processMain.ts`) and the worker thread inside it that runs user code (`thread*.ts`, entry
 * `threadMain.ts`). Files named `runner*.ts` serve more than one of the three.
 */
import type {
  BackendChoice,
  BackendName,
  PlaybackResult,
  PolicyWeights,
  TrainingSettings,
  TrainingStartedParams,
  UpdateMetrics,
  FailingEpisode,
} from "../protocol";
import type { SavedPolicy } from "../rl/savedPolicy";
import type { TrainingHeartbeat } from "../rl/train";
import type { EnvironmentBundle } from "./bundle";
import type { UserCallName } from "./callGuard";
import type { GymServeRequest } from "./threadGymServe";
import type { ProbeRequest } from "../rl/probeReport";
import type { RunnerMark } from "./runnerMark";
import type { UserFailure } from "../rl/userCode";

/** How a job ended, as its caller sees it. */
export type RunnerOutcome<T> =
  | { ok: true; value: T; backend: BackendName }
  | { ok: false; failure: UserFailure; backend: BackendName | null }
  | { ok: false; cancelled: true; backend: BackendName | null }
  | { ok: false; error: string; backend: BackendName | null };

export interface PlaybackRequest {
  policy: PolicyWeights | SavedPolicy;
  mode: "greedy" | "sampled";
  maxFrames: number;
  seed: number;
}

export type RunnerJob =
  | {
      kind: "train";
      overrides: Partial<TrainingSettings>;
      runDir: string | null;
      continueAfterSolved?: boolean;
      /** Play one episode of the current policy this often (when the environment has `render()`); null: never. */
      playbackEveryMs?: number | null;
      playbackMode?: "greedy" | "sampled";
    }
  | { kind: "probe"; probe: ProbeRequest }
  | { kind: "playback"; playback: PlaybackRequest }
  /** Replay a failing episode step by step (design §5 "Failing episodes"). */
  | { kind: "replay"; episode: FailingEpisode }
  /** Episodes of random actions looking for failures (design §5 "Failing episodes", RL: Fuzz Environment). */
  | { kind: "fuzz"; episodes: number; seed: number }
  /** Serve N copies of the environment to Python's Gymnasium API (`threadGymServe.ts`). */
  | { kind: "gym"; gym: GymServeRequest };

/** The thread's `workerData`: it loads its backend at once, then serves jobs one after another. */
export interface RunnerStart {
  backend: BackendChoice;
  /** Record every call entry in this file (see `CallGuard`). */
  traceFile?: string;
}

/** One job for the thread, with a fresh guard buffer (so a cancel flag never outlives its job). */
export interface RunnerJobMessage {
  type: "job";
  bundle: EnvironmentBundle;
  job: RunnerJob;
  guard: SharedArrayBuffer;
}

/** What a training is about, known once the file is loaded (for progress bars and the dashboard). */
export type TrainingStart = Omit<TrainingStartedParams, "runId" | "uri" | "backend">;

/** Thread → process, and process → caller (with `call` added by the watchdog). */
export type RunnerMessage =
  | { type: "backend"; backend: BackendName; reason: string }
  | { type: "started"; start: TrainingStart }
  | { type: "progress"; metrics: UpdateMetrics }
  /** Training only: between user calls while an update is under way (the watcher repeats it inside a slow call). */
  | { type: "heartbeat"; heartbeat: TrainingHeartbeat }
  | { type: "playback"; result: PlaybackResult }
  /**
   * The job's end. `clean`: the thread can serve another job (no global, timer or tensor
   * was left behind by this one); otherwise the runner is retired.
   */
  | { type: "done"; outcome: RunnerOutcome<unknown>; clean: boolean };

/** The runner process's start arguments. */
export interface ProcessStart {
  backend: BackendChoice;
  memoryLimitMb: number;
  traceFile?: string;
  /** What every process started under the runner carries (see `runnerMark.ts`). */
  mark: RunnerMark;
}

/** Host → process. */
export type ProcessRequest = { type: "job"; bundle: EnvironmentBundle; job: RunnerJob; callTimeoutMs?: number } | { type: "cancel" };

/** Process → host. */
export type ProcessMessage =
  | RunnerMessage
  /** The user function the thread is in, every watchdog tick, and for how long it has been in it. */
  | { type: "call"; call: UserCallName; runningMs: number };
