/**
 * The caller's side of a runner: starts the worker thread, relays its progress, enforces
 * the per-call time limit, turns a dead runner into a `user-code-crashed` failure, and
 * stops it on request. Nothing user code does can throw here or take the caller down.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import type { BackendChoice, BackendName, TrainingSummary, UpdateMetrics } from "../protocol";
import type { EnvironmentBundle } from "./bundle";
import { CallWatch, createGuardBuffer } from "./callGuard";
import type { UserFailure } from "./failure";
import type { ProbeReport, RunnerJob, RunnerJobMessage, RunnerMessage, RunnerStart } from "./messages";

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
  onBackend?(backend: BackendName): void;
}

export type RunnerOutcome<T> =
  | { ok: true; value: T; backend: BackendName }
  | { ok: false; failure: UserFailure; backend: BackendName | null }
  | { ok: false; cancelled: true; backend: BackendName | null }
  | { ok: false; error: string; backend: BackendName | null };

export const DEFAULT_CALL_TIMEOUT_MS = 2000;
export const DEFAULT_MEMORY_LIMIT_MB = 1024;
const POLL_MS = 20;
/** After a stop request, how long the runner gets to finish its update before termination. */
const STOP_GRACE_MS = 800;

export function runTraining(bundle: EnvironmentBundle, job: Extract<RunnerJob, { kind: "train" }>, options: RunnerOptions = {}) {
  return runJob<TrainingSummary>(bundle, job, options);
}

export function runProbe(bundle: EnvironmentBundle, job: Extract<RunnerJob, { kind: "probe" }>, options: RunnerOptions = {}) {
  return runJob<ProbeReport>(bundle, job, options);
}

function runJob<T>(bundle: EnvironmentBundle, job: RunnerJob, options: RunnerOptions): Promise<RunnerOutcome<T>> {
  const runner = options.pool?.take() ?? new Runner(options.backend ?? "auto", options.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB);
  return runner.run<T>(bundle, job, options);
}

/**
 * Keeps one runner started ahead of time (its thread up, TensorFlow.js loaded, its backend
 * ready), so that a check does not wait for that. Each runner still serves one job only:
 * every user file gets a fresh thread.
 */
export class RunnerPool {
  private spare: Runner | null = null;
  constructor(
    readonly backend: BackendChoice = "auto",
    readonly memoryLimitMb = DEFAULT_MEMORY_LIMIT_MB,
  ) {}

  /** Starts the spare now, if none is waiting. */
  warm(): void {
    if (!this.spare || this.spare.dead) this.spare = new Runner(this.backend, this.memoryLimitMb);
  }

  take(): Runner {
    this.warm();
    const runner = this.spare as Runner;
    this.spare = null;
    // The next one starts loading while this one works.
    setImmediate(() => this.warm());
    return runner;
  }

  async dispose(): Promise<void> {
    const spare = this.spare;
    this.spare = null;
    await spare?.terminate();
  }
}

/** One worker thread: starts and loads its backend at once, then runs one job. */
export class Runner {
  private readonly worker: Worker;
  private readonly guard = createGuardBuffer();
  private backend: BackendName | null = null;
  private stderrTail = "";
  private exited = false;
  private earlyError: string | null = null;

  constructor(backend: BackendChoice, readonly memoryLimitMb: number) {
    // Native TensorFlow logs to the process's stderr at load unless told otherwise; it reads
    // the real environment, which a worker's `env` option does not change.
    process.env.TF_CPP_MIN_LOG_LEVEL ??= "2";
    const data: RunnerStart = { backend, guard: this.guard };
    this.worker = new Worker(workerScript(), {
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
    // A spare that dies before use is replaced by the pool; errors are reported when it is run.
    this.worker.on("error", () => undefined);
  }

  get dead(): boolean {
    return this.exited;
  }

  async terminate(): Promise<void> {
    await this.worker.terminate();
  }

  run<T>(bundle: EnvironmentBundle, job: RunnerJob, options: RunnerOptions): Promise<RunnerOutcome<T>> {
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
        void worker.terminate().finally(() => resolve(outcome as RunnerOutcome<T>));
      };

      const poller = setInterval(() => {
        const stuck = watch.poll(Date.now());
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
            options.onProgress?.(message.metrics);
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
        if (!settled) crashed(`it exited with code ${code} (process.exit() or a fatal error)${this.stderrTail ? `; stderr: ${this.stderrTail.trim().split("\n").slice(-3).join(" | ")}` : ""}`);
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

/** `dist/worker.js`, found from the bundle (next to it) or from the sources (the package's dist/). */
function workerScript(): string {
  const beside = path.join(__dirname, "worker.js");
  if (fs.existsSync(beside)) return beside;
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, "package.json"))) {
    const up = path.dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  const built = path.join(dir, "dist", "worker.js");
  if (!fs.existsSync(built)) throw new Error(`the runner script ${built} is missing: run \`npm run build\``);
  return built;
}
