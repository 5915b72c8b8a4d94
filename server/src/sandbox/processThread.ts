/**
 * A runner thread, seen from the runner process that hosts it: a worker that loads
 * TensorFlow.js and its backend at once, then runs jobs one after another with a watchdog
 * on every call into user code. A V8 fatal error kills the whole process, which is why the
 * thread lives in a process of its own (see `hostProcess.ts`).
 *
 * The watchdog limits the CPU time the thread spends in one call (`overLimit` in
 * `callGuard.ts`), so a machine busy with other work never turns a quick call into a
 * time-out; before it terminates the thread, it pauses it to learn the line it was on
 * (`processPausedFrames.ts`).
 */
import { Worker } from "node:worker_threads";
import type { BackendChoice } from "../protocol";
import type { EnvironmentBundle } from "./bundle";
import { BundleMap, bundleFileName } from "./bundleMap";
import { threadCpuMsOf } from "../rl/threadCpuClock";
import {
  CallWatch,
  WALL_BACKSTOP_FACTOR,
  createGuardBuffer,
  describeCall,
  failureCall,
  overLimit,
  type BundlePosition,
  type OverLimit,
  type UserCallName,
} from "./callGuard";
import type { UserFailure } from "../rl/userCode";
import { pausedFrames } from "./processPausedFrames";
import type { TrainingHeartbeat } from "../rl/train";
import type { RunnerJob, RunnerJobMessage, RunnerMessage, RunnerOutcome, RunnerStart } from "./runnerMessages";
import { DEFAULT_CALL_TIMEOUT_MS, builtScript } from "./runnerShared";

const POLL_MS = 20;
/** Training reports at least this often (a heartbeat when nothing else came). */
const HEARTBEAT_MS = 1000;
/** After a stop request, how long a job gets to stop by itself (a training saves its run) before termination. */
const STOP_GRACE_MS = 800;
/**
 * How long a timed-out thread gets to pause in the debugger before it is terminated anyway
 * (the failure is then placed on the function). Pausing took about 80 ms here idle and
 * 170 ms at load 7 on 2 cores, most of it the thread listing its parsed scripts; the margin
 * is for a busier machine, where the placement must not change with the load.
 */
const PAUSE_WAIT_MS = 1500;

export interface ThreadRunOptions {
  callTimeoutMs?: number;
  signal?: AbortSignal;
  /** Every message of the thread but the last ("done"). */
  onMessage(message: Exclude<RunnerMessage, { type: "done" }>): void;
  /**
   * Called at every watchdog tick (20 ms) with the user function being run and how long
   * the same call has been running on the wall clock (0 when it just changed).
   */
  onCall(call: UserCallName, runningMs: number): void;
}

/** How a job ended, and whether the thread can take another. */
export interface ThreadRunEnd {
  outcome: RunnerOutcome<unknown>;
  reusable: boolean;
}

export class ThreadRunner {
  private readonly worker: Worker;
  private stderrTail = "";
  private exited = false;

  constructor(
    backend: BackendChoice,
    readonly memoryLimitMb: number,
    traceFile?: string,
  ) {
    // Native TensorFlow logs to the process's stderr at load unless told otherwise; it reads
    // the real environment, which a worker's `env` option does not change.
    process.env.TF_CPP_MIN_LOG_LEVEL ??= "2";
    const data: RunnerStart = { backend, traceFile };
    this.worker = new Worker(builtScript("runnerThread.js"), {
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: memoryLimitMb },
      stdout: true,
      stderr: true,
    });
    // User output (console.log in an environment) must not corrupt the caller's stdout (--json, LSP stdio).
    this.worker.stdout.resume();
    this.worker.stderr.on("data", (chunk: Buffer) => (this.stderrTail = (this.stderrTail + chunk.toString()).slice(-2000)));
    this.worker.on("exit", () => (this.exited = true));
    // A thread that fails before a job reports when the job is run (see `run`).
    this.worker.on("error", () => undefined);
  }

  run(bundle: EnvironmentBundle, job: RunnerJob, options: ThreadRunOptions): Promise<ThreadRunEnd> {
    const { worker } = this;
    const guard = createGuardBuffer();
    const watch = new CallWatch(guard);
    const timeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    let backend: RunnerOutcome<unknown>["backend"] = null;

    return new Promise((resolve) => {
      let settled = false;
      /** The watchdog fired: the verdict is a time-out, whatever the thread does while it is paused. */
      let timingOut = false;
      let stopTimer: NodeJS.Timeout | undefined;

      const finish = (outcome: RunnerOutcome<unknown>, reusable: boolean) => {
        if (settled || (timingOut && !isTimeout(outcome))) return;
        settled = true;
        clearInterval(poller);
        clearTimeout(stopTimer);
        options.signal?.removeEventListener("abort", onAbort);
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
        // A thread stuck in a long builtin (a huge fill, say) only stops when that returns;
        // the runner process exits after reporting, which ends it for sure.
        if (!reusable) void worker.terminate();
        resolve({ outcome, reusable });
      };

      // Heartbeats: the runner thread sends them between user calls; inside one slow call (or a
      // long update) it cannot, so the watcher repeats the last one, its clock moved on.
      let lastBeat: TrainingHeartbeat | null = null;
      let lastSignalAt = Date.now();
      let lastBeatAt = lastSignalAt;
      const poller = setInterval(() => {
        const now = Date.now();
        // Before the first beat (the environment's construction, say) there is nothing to repeat.
        if (lastBeat && now - lastSignalAt >= HEARTBEAT_MS) {
          lastSignalAt = now;
          options.onMessage({ type: "heartbeat", heartbeat: { ...lastBeat, seconds: lastBeat.seconds + (now - lastBeatAt) / 1000 } });
        }
        const tid = watch.threadId;
        const elapsed = watch.poll(Date.now(), tid === null ? null : threadCpuMsOf(tid));
        options.onCall(watch.current, elapsed.wallMs);
        const over = overLimit(elapsed, timeoutMs);
        if (over === null || timingOut) return;
        timingOut = true;
        clearInterval(poller);
        const call = watch.current;
        const scheduledAt = call === "callback" ? watch.scheduledAt : null;
        // Read the guard now: the paused thread's stack is of this call.
        void pausedFrames(worker.threadId, bundleFileName(bundle), PAUSE_WAIT_MS).then((frames) =>
          finish({ ok: false, backend, failure: timedOut(bundle, call, scheduledAt, frames, over, elapsed.cpuMs, timeoutMs) }, false),
        );
      }, POLL_MS);

      const onAbort = () => {
        watch.cancel();
        stopTimer = setTimeout(() => finish({ ok: false, cancelled: true, backend }, false), STOP_GRACE_MS);
      };
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener("abort", onAbort, { once: true });

      const onMessage = (message: RunnerMessage) => {
        if (message.type === "done") {
          finish(message.outcome, message.clean);
          return;
        }
        if (message.type === "progress") {
          lastSignalAt = lastBeatAt = Date.now();
          lastBeat = {
            type: "heartbeat",
            update: message.metrics.update + 1,
            episodes: message.metrics.episodes,
            episodeBudget: message.metrics.episodeBudget,
            envSteps: message.metrics.envSteps,
            seconds: message.metrics.seconds,
          };
        } else if (message.type === "heartbeat") {
          lastSignalAt = lastBeatAt = Date.now();
          lastBeat = message.heartbeat;
        }
        if (message.type === "backend") backend = message.backend;
        options.onMessage(message);
      };
      const crashed = (why: string) =>
        finish(
          {
            ok: false,
            backend,
            failure: {
              code: "user-code-crashed",
              call: failureCall(watch.current),
              message: `the runner died while ${describeCall(watch.current)} was running: ${why}`,
            },
          },
          false,
        );
      const onError = (error: Error & { code?: string }) => {
        if (error.code === "ERR_WORKER_OUT_OF_MEMORY") crashed(`it ran out of memory (the limit is ${this.memoryLimitMb} MB)`);
        else crashed(`${error.name}: ${error.message}`);
      };
      const onExit = (code: number) =>
        crashed(
          `it exited with code ${code} (process.exit() or a fatal error)${this.stderrTail ? `; stderr: ${this.stderrTail.trim().split("\n").slice(-3).join(" | ")}` : ""}`,
        );

      worker.on("message", onMessage);
      worker.on("error", onError);
      if (this.exited) {
        onExit(-1);
        return;
      }
      worker.on("exit", onExit);
      const message: RunnerJobMessage = { type: "job", bundle, job, guard };
      worker.postMessage(message);
    });
  }
}

const isTimeout = (outcome: RunnerOutcome<unknown>): boolean =>
  !outcome.ok && "failure" in outcome && outcome.failure.code === "user-code-timeout";

/**
 * The call that did not return in time, placed on the innermost line of the user's files
 * where the paused thread was (the loop); without one, a callback is placed on the line that
 * scheduled it and a call on its function (by the caller, from `call`).
 */
function timedOut(
  bundle: EnvironmentBundle,
  call: UserCallName,
  scheduledAt: BundlePosition | null,
  frames: BundlePosition[],
  over: OverLimit,
  cpuMs: number | null,
  timeoutMs: number,
): UserFailure {
  const map = new BundleMap(bundle);
  const place = [...frames, ...(scheduledAt ? [scheduledAt] : [])].map((at) => map.placeOf(at)).find((p) => p !== undefined);
  const limit =
    over === "cpu"
      ? `did not return within ${timeoutMs} ms of CPU time: is there an endless loop?`
      : over === "backstop"
        ? `did not return within ${(timeoutMs * WALL_BACKSTOP_FACTOR) / 1000} s, spending only ${Math.round(cpuMs ?? 0)} ms of CPU time: ` +
          "it is blocked, waiting for something that does not come (Atomics.wait, a synchronous sleep, a child process run with execSync)?"
        : `did not return within ${timeoutMs} ms: is there an endless loop?`;
  const message =
    call === "callback"
      ? `${describeCall(call)} ${limit} ` +
        "The engine calls reset, step and reward synchronously and does not wait for callbacks: do that work inside the call."
      : `${describeCall(call)} ${limit}`;
  return { code: "user-code-timeout", call: failureCall(call), message, ...(place ? { place } : {}) };
}
