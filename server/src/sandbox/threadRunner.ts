/**
 * A runner thread: a worker that loads TensorFlow.js and its backend at once, then runs one
 * job (a user's file) with a watchdog on every call into user code. It runs inside the
 * runner process (see `processRunner.ts`), which a V8 fatal error can kill without harm.
 */
import { Worker } from "node:worker_threads";
import type { BackendChoice, BackendName } from "../protocol";
import type { EnvironmentBundle } from "./bundle";
import { CallWatch, createGuardBuffer, type UserCallName } from "./callGuard";
import type { TrainingHeartbeat } from "../rl/train";
import type { RunnerJob, RunnerJobMessage, RunnerMessage, RunnerStart } from "./messages";
import { DEFAULT_CALL_TIMEOUT_MS, builtScript, type RunnerOptions, type RunnerOutcome } from "./runnerShared";

const POLL_MS = 20;
/** Training reports at least this often (a heartbeat when nothing else came). */
const HEARTBEAT_MS = 1000;
/** After a stop request, how long the runner gets to finish its update before termination. */
const STOP_GRACE_MS = 800;

export interface ThreadRunOptions extends RunnerOptions {
  /**
   * Called at every watchdog tick (20 ms) with the user function being run and how long
   * the same call has been running (0 when it just changed).
   */
  onCall?(call: UserCallName, runningMs: number): void;
}

/** One worker thread: starts and loads its backend at once, then runs one job. */
export class ThreadRunner {
  private readonly worker: Worker;
  private readonly guard = createGuardBuffer();
  private backend: BackendName | null = null;
  private stderrTail = "";
  private exited = false;
  private earlyError: string | null = null;

  constructor(
    backend: BackendChoice,
    readonly memoryLimitMb: number,
    traceFile?: string,
  ) {
    // Native TensorFlow logs to the process's stderr at load unless told otherwise; it reads
    // the real environment, which a worker's `env` option does not change.
    process.env.TF_CPP_MIN_LOG_LEVEL ??= "2";
    const data: RunnerStart = { backend, guard: this.guard, traceFile };
    this.worker = new Worker(builtScript("worker.js"), {
      workerData: data,
      resourceLimits: { maxOldGenerationSizeMb: memoryLimitMb },
      stdout: true,
      stderr: true,
    });
    // User output (console.log in an environment) must not corrupt the caller's stdout (--json, LSP stdio).
    this.worker.stdout.resume();
    this.worker.stderr.on("data", (chunk: Buffer) => (this.stderrTail = (this.stderrTail + chunk.toString()).slice(-2000)));
    this.worker.on("message", (m: RunnerMessage) => {
      if (m.type === "backend") this.backend = m.backend;
      if (m.type === "error") this.earlyError ??= m.message;
    });
    this.worker.on("exit", () => (this.exited = true));
    // A thread that fails before its job reports when the job is run (see `run`).
    this.worker.on("error", () => undefined);
  }

  run<T>(bundle: EnvironmentBundle, job: RunnerJob, options: ThreadRunOptions): Promise<RunnerOutcome<T>> {
    const { worker } = this;
    const watch = new CallWatch(this.guard);
    const timeoutMs = options.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS;
    if (this.backend) options.onBackend?.(this.backend);

    return new Promise((resolve) => {
      let settled = false;
      let outcome: RunnerOutcome<T> | null = null;
      let stopTimer: NodeJS.Timeout | undefined;
      const backend = () => this.backend;

      const finish = (o: RunnerOutcome<T>) => {
        outcome ??= o;
        if (settled) return;
        settled = true;
        clearInterval(poller);
        clearTimeout(stopTimer);
        options.signal?.removeEventListener("abort", onAbort);
        worker.off("message", onMessage);
        // Resolve at once: a thread stuck in a long builtin (a huge fill, say) only stops when
        // that returns; the runner process exits after reporting, which ends it for sure.
        void worker.terminate();
        resolve(outcome as RunnerOutcome<T>);
      };

      // Heartbeats: the runner thread sends them between user calls; inside one slow call (or a
      // long update) it cannot, so the watcher repeats the last one, its clock moved on.
      let lastBeat: TrainingHeartbeat | null = null;
      let lastSignalAt = Date.now();
      let lastBeatAt = lastSignalAt;
      const poller = setInterval(() => {
        const now = Date.now();
        // Before the first beat (the environment's construction, say) there is nothing to repeat.
        if (lastBeat && options.onHeartbeat && now - lastSignalAt >= HEARTBEAT_MS) {
          lastSignalAt = now;
          options.onHeartbeat({ ...lastBeat, seconds: lastBeat.seconds + (now - lastBeatAt) / 1000 });
        }
        const stuck = watch.poll(Date.now());
        options.onCall?.(watch.current, stuck);
        if (stuck > timeoutMs) {
          const call = watch.current;
          finish({
            ok: false,
            backend: backend(),
            failure: {
              code: "user-code-timeout",
              call,
              message: `${call === "load" ? "the file's top-level code" : call + "()"} did not return within ${timeoutMs} ms: is there an endless loop?`,
            },
          });
        }
      }, POLL_MS);

      const onAbort = () => {
        watch.cancel();
        stopTimer = setTimeout(() => finish({ ok: false, cancelled: true, backend: backend() }), STOP_GRACE_MS);
      };
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener("abort", onAbort, { once: true });

      const onMessage = (message: RunnerMessage) => {
        switch (message.type) {
          case "backend":
            options.onBackend?.(message.backend);
            break;
          case "progress":
            lastSignalAt = lastBeatAt = Date.now();
            lastBeat = {
              type: "heartbeat",
              update: message.metrics.update + 1,
              episodes: message.metrics.episodes,
              episodeBudget: message.metrics.episodeBudget,
              envSteps: message.metrics.envSteps,
              seconds: message.metrics.seconds,
            };
            options.onProgress?.(message.metrics);
            break;
          case "heartbeat":
            lastSignalAt = lastBeatAt = Date.now();
            lastBeat = message.heartbeat;
            options.onHeartbeat?.(message.heartbeat);
            break;
          case "trained":
            finish({ ok: true, value: message.summary as T, backend: message.summary.backend });
            break;
          case "probed":
            finish({ ok: true, value: message.report as T, backend: backend() as BackendName });
            break;
          case "failed":
            finish({ ok: false, failure: message.failure, backend: backend() });
            break;
          case "cancelled":
            finish({ ok: false, cancelled: true, backend: backend() });
            break;
          case "error":
            finish({ ok: false, error: message.message, backend: backend() });
            break;
        }
      };
      worker.on("message", onMessage);

      const crashed = (why: string) =>
        finish({
          ok: false,
          backend: backend(),
          failure: {
            code: "user-code-crashed",
            call: watch.current,
            message: `the runner died while ${watch.current === "none" ? "the engine" : watch.current === "load" ? "the file's top-level code" : watch.current + "()"} was running: ${why}`,
          },
        });
      worker.on("error", (error: Error & { code?: string }) => {
        if (error.code === "ERR_WORKER_OUT_OF_MEMORY") crashed(`it ran out of memory (the limit is ${this.memoryLimitMb} MB)`);
        else crashed(`${error.name}: ${error.message}`);
      });
      const onExit = (code: number) => {
        if (!settled)
          crashed(
            `it exited with code ${code} (process.exit() or a fatal error)${this.stderrTail ? `; stderr: ${this.stderrTail.trim().split("\n").slice(-3).join(" | ")}` : ""}`,
          );
      };
      // A runner whose backend failed to load, or that died before its job.
      if (this.earlyError) {
        finish({ ok: false, error: this.earlyError, backend: null });
        return;
      }
      if (this.exited) {
        onExit(-1);
        return;
      }
      worker.on("exit", onExit);
      const start: RunnerJobMessage = { type: "job", bundle, job };
      worker.postMessage(start);
    });
  }
}
