/**
 * Running a user's file, isolated: every job gets its own runner process (which hosts the
 * runner thread, `threadRunner.ts`), so nothing user code does, not even a V8 fatal error,
 * can take the caller down. Progress streams back per update; an AbortSignal stops it;
 * a call that does not return in time, or a runner that dies, becomes a failure placed on
 * the user function that was running.
 */
import type { BackendChoice, TrainingSummary } from "../protocol";
import type { EnvironmentBundle } from "./bundle";
import type { ProbeReport, RunnerJob } from "./messages";
import { ProcessRunner } from "./processRunner";
import { DEFAULT_MEMORY_LIMIT_MB, type RunnerOptions, type RunnerOutcome } from "./runnerShared";

export { DEFAULT_CALL_TIMEOUT_MS, DEFAULT_MEMORY_LIMIT_MB, type RunnerOptions, type RunnerOutcome } from "./runnerShared";

export function runTraining(bundle: EnvironmentBundle, job: Extract<RunnerJob, { kind: "train" }>, options: RunnerOptions = {}) {
  return runJob<TrainingSummary>(bundle, job, options);
}

export function runProbe(bundle: EnvironmentBundle, job: Extract<RunnerJob, { kind: "probe" }>, options: RunnerOptions = {}) {
  return runJob<ProbeReport>(bundle, job, options);
}

function runJob<T>(bundle: EnvironmentBundle, job: RunnerJob, options: RunnerOptions): Promise<RunnerOutcome<T>> {
  const runner = options.pool?.take() ?? new ProcessRunner(options.backend ?? "auto", options.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB);
  return runner.run<T>(bundle, job, options);
}

/**
 * Keeps one runner started ahead of time (its process and thread up, TensorFlow.js loaded,
 * its backend ready), so that a check does not wait for that. Each runner still serves one
 * job only: every user file gets a fresh process.
 */
export class RunnerPool {
  private spare: ProcessRunner | null = null;
  constructor(
    readonly backend: BackendChoice = "auto",
    readonly memoryLimitMb = DEFAULT_MEMORY_LIMIT_MB,
  ) {}

  private disposed = false;

  /** Starts the spare now, if none is waiting. */
  warm(): void {
    if (this.disposed) return;
    if (!this.spare || this.spare.dead) this.spare = new ProcessRunner(this.backend, this.memoryLimitMb);
  }

  take(): ProcessRunner {
    if (this.disposed) throw new Error("the runner pool was disposed");
    this.warm();
    const runner = this.spare as ProcessRunner;
    this.spare = null;
    // The next one starts loading while this one works.
    setImmediate(() => this.warm());
    return runner;
  }

  async dispose(): Promise<void> {
    this.disposed = true;
    const spare = this.spare;
    this.spare = null;
    await spare?.terminate();
  }
}
