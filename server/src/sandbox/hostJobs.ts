/**
 * Running a user's file, isolated: in a runner process (which hosts the runner thread,
 * `processThread.ts`), so nothing user code does, not even a V8 fatal error, can take the
 * caller down. Progress streams back per update; an AbortSignal stops it; a call that does
 * not return in time, or a runner that dies, becomes a failure placed on the user function
 * that was running. With a `RunnerPool` the runner is a warm one and goes back to the pool.
 */
import type { FuzzReport, ReplayResult } from "../rl/failingEpisode";
import type { PlaybackResult, TrainingSummary } from "../protocol";
import type { EnvironmentBundle } from "./bundle";
import type { ProbeReport } from "../rl/probeReport";
import { ProcessRunner } from "./hostProcess";
import type { RunnerPool, TakeOptions } from "./hostPool";
import type { RunnerJob, RunnerOutcome } from "./runnerMessages";
import { DEFAULT_MEMORY_LIMIT_MB, type RunnerOptions } from "./runnerShared";

export { DEFAULT_CALL_TIMEOUT_MS, DEFAULT_MEMORY_LIMIT_MB, type RunnerOptions } from "./runnerShared";
export type { RunnerOutcome } from "./runnerMessages";
export { defaultMaxRunners, RunnerPool } from "./hostPool";

export interface JobOptions extends RunnerOptions {
  /** Take a warm runner from here (backend and memory limit are the pool's) and give it back after. */
  pool?: RunnerPool;
  /** With a pool whose runners are all busy: waiting jobs with a higher priority get a runner first. */
  priority?: TakeOptions["priority"];
  /** A runner asked for earlier, while the job was being prepared (then `pool` and `priority` are not asked again). */
  reservation?: RunnerReservation;
}

/**
 * A place in the pool's queue taken before the job is ready (while its file bundles), so that
 * the queue's order, and the priority of the editor's active file, do not depend on which
 * bundle happens to finish first. `release` gives the place (or the runner) back when the job
 * will not run after all.
 */
export interface RunnerReservation {
  readonly runner: Promise<ProcessRunner | null>;
  release(): void;
}

export function reserveRunner(pool: RunnerPool, options: Pick<TakeOptions, "signal" | "priority"> = {}): RunnerReservation {
  const cancel = new AbortController();
  const signal = options.signal ? AbortSignal.any([options.signal, cancel.signal]) : cancel.signal;
  const runner = pool.take({ signal, priority: options.priority });
  let released = false;
  return {
    runner,
    release() {
      if (released) return;
      released = true;
      cancel.abort();
      void runner.then((r) => r && pool.give(r));
    },
  };
}

export function runTraining(bundle: EnvironmentBundle, job: Extract<RunnerJob, { kind: "train" }>, options: JobOptions = {}) {
  return runJob<TrainingSummary>(bundle, job, options);
}

export function runProbe(bundle: EnvironmentBundle, job: Extract<RunnerJob, { kind: "probe" }>, options: JobOptions = {}) {
  return runJob<ProbeReport>(bundle, job, options);
}

export function runReplay(bundle: EnvironmentBundle, job: Extract<RunnerJob, { kind: "replay" }>, options: JobOptions = {}) {
  return runJob<ReplayResult>(bundle, job, options);
}

export function runFuzz(bundle: EnvironmentBundle, job: Extract<RunnerJob, { kind: "fuzz" }>, options: JobOptions = {}) {
  return runJob<FuzzReport>(bundle, job, options);
}

export function runPlayback(bundle: EnvironmentBundle, job: Extract<RunnerJob, { kind: "playback" }>, options: JobOptions = {}) {
  return runJob<PlaybackResult>(bundle, job, options);
}

async function runJob<T>(bundle: EnvironmentBundle, job: RunnerJob, options: JobOptions): Promise<RunnerOutcome<T>> {
  const { pool, reservation } = options;
  const runner = reservation
    ? await reservation.runner
    : pool
      ? await pool.take({ signal: options.signal, priority: options.priority })
      : new ProcessRunner(options.backend ?? "auto", options.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB);
  // Stopped while waiting for a runner, or the pool went away meanwhile: the job never ran.
  if (!runner || runner.dead) {
    if (runner) pool?.give(runner);
    return { ok: false, cancelled: true, backend: null };
  }
  const running = runner.start<T>(bundle, job, options);
  void running.free.then(() => (pool ? pool.give(runner) : runner.terminate()));
  return running.outcome;
}
