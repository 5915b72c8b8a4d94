/**
 * The caller's side of a runner process. The process hosts a runner thread (which holds
 * the watchdog) and serves jobs one after another; here we send it jobs, relay their
 * progress and outcomes, and turn the death of the whole process (a V8 fatal error such as
 * an array too large for the heap, a native crash) into `user-code-crashed`, placed on the
 * user function it last reported running. The process leads its own process group, so
 * killing it kills whatever user code spawned (see `runnerProcessTree.ts`); a process that left
 * the group is found by the runner's mark (see `runnerMark.ts`) when the runner ends.
 */
import { fork, spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { BackendChoice, BackendName } from "../protocol";
import type { EnvironmentBundle } from "./bundle";
import { describeCall, failureCall, lastTracedCall, type UserCallName } from "./callGuard";
import { killTree } from "./runnerProcessTree";
import { MARK_VARIABLE, SWEEP_AGAIN_MS, killMarked, newRunnerMark, prlimitOptions, type RunnerMark } from "./runnerMark";
import type { ProcessMessage, ProcessRequest, ProcessStart, RunnerJob, RunnerOutcome } from "./runnerMessages";
import { builtScript, type RunnerOptions } from "./runnerShared";

const MEMORY_POLL_MS = 100;
/** The longest a replay to find the call that killed a runner may take. */
const REPLAY_LIMIT_MS = 15_000;
/** The process may use its heap limit plus this much (TensorFlow.js, WebAssembly memory, buffers). */
const MEMORY_ALLOWANCE_MB = 1024;
/**
 * After a stop request: a training gets this long to stop by itself and save its run as
 * stopped (the thread gives it 800 ms), then the process is killed; the stop takes effect
 * within a second either way, and the caller has the outcome once the process has exited.
 */
const TRAIN_STOP_MS = 950;
/** A probe or playback saves nothing: the caller has its answer at once; the runner gets this long to become free. */
const JOB_STOP_MS = 300;

/** util-linux's prlimit, to start the runner with a data-segment limit (Linux). */
export const PRLIMIT = ["/usr/bin/prlimit", "/bin/prlimit"].find((p) => fs.existsSync(p)) ?? null;

/** Resident memory of a process in MB, from /proc (Linux); null where there is no /proc. */
function residentMb(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const pages = Number(fs.readFileSync(`/proc/${pid}/statm`, "utf8").split(" ")[1]);
    return (pages * 4096) / (1024 * 1024);
  } catch {
    return null;
  }
}

/** A job in a runner: its outcome for the caller, and when the runner is free (or dead) again. */
export interface RunningJob<T> {
  outcome: Promise<RunnerOutcome<T>>;
  /** Resolves true when the runner can take another job, false when it is gone. */
  free: Promise<boolean>;
}

export class ProcessRunner {
  private readonly child: ChildProcess;
  /** Every process started under this runner carries it. */
  private readonly mark: RunnerMark = newRunnerMark(PRLIMIT !== null);
  /** Sweeps for the mark done at the runner's end (see `sweep`). */
  private sweeps = 0;
  private exited = false;
  /** Resolves when the process has exited (or never started). */
  private readonly gone: Promise<void>;
  private killed = false;
  private busy = false;
  private stderrTail = "";
  /** Jobs served, for the pool's statistics and tests. */
  jobs = 0;

  constructor(
    readonly backend: BackendChoice,
    readonly memoryLimitMb: number,
    private readonly traceFile?: string,
  ) {
    // Native TensorFlow logs to stderr at load unless told otherwise.
    const env = { ...process.env, TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? "2", [MARK_VARIABLE]: this.mark.id };
    const start: ProcessStart = { backend, memoryLimitMb, traceFile, mark: this.mark };
    const args = [builtScript("runnerProcess.js"), JSON.stringify(start)];
    // detached: the runner leads a process group of its own, which user code's children join.
    const options = { env, detached: true, serialization: "advanced" as const, stdio: ["ignore", "ignore", "pipe", "ipc"] as StdioOptions };
    // Cap the data segment too, so a huge ArrayBuffer fails at once ("Array buffer allocation
    // failed", reported as running out of memory) instead of growing until the watch stops it.
    const dataLimit = (this.memoryLimitMb + MEMORY_ALLOWANCE_MB) * 1024 * 1024;
    this.child = PRLIMIT
      ? spawn(
          PRLIMIT,
          [`--data=${dataLimit}:${dataLimit}`, ...prlimitOptions(this.mark), process.execPath, ...runnerExecArgv(), ...args],
          options,
        )
      : fork(args[0], args.slice(1), { ...options, execArgv: runnerExecArgv() });
    this.child.stderr?.on("data", (chunk: Buffer) => (this.stderrTail = (this.stderrTail + chunk.toString()).slice(-4000)));
    this.child.on("exit", () => {
      this.exited = true;
      // Whatever user code started goes with it: in the runner's group, or anywhere with its mark.
      if (this.child.pid !== undefined) killTree(this.child.pid);
      this.sweep();
    });
    // Errors of a process that failed to start surface as its exit.
    this.child.on("error", () => undefined);
    this.gone = new Promise((resolve) => {
      this.child.once("exit", () => resolve());
      this.child.once("error", () => this.child.pid === undefined && resolve());
    });
  }

  /** Exited, or killed (its exit may not have been seen yet). */
  get dead(): boolean {
    return this.exited || this.killed;
  }

  /** Alive and not running a job. */
  get idle(): boolean {
    return !this.dead && !this.busy;
  }

  /** Kills the runner and every process user code started. */
  terminate(): void {
    const first = !this.killed;
    this.killed = true;
    if (this.child.pid !== undefined) killTree(this.child.pid);
    if (!this.exited) this.child.kill("SIGKILL");
    // At once, not only at the exit event: a caller that exits right after must leave nothing behind.
    if (first) this.sweep();
  }

  /**
   * Kills every process that carries the runner's mark (the runner too, if still alive): when
   * it is terminated and when its exit is seen, and once more SWEEP_AGAIN_MS after the first
   * time, for a process created while a sweep ran. A sweep reads every process in /proc, so
   * it is done only at the runner's end, at most three times.
   */
  private sweep(): void {
    if (this.sweeps >= 2) return;
    this.sweeps++;
    killMarked(this.mark);
    if (this.sweeps === 1) setTimeout(() => killMarked(this.mark), SWEEP_AGAIN_MS).unref();
  }

  /**
   * Run the job again in a fresh process that records every call; the last one recorded is
   * the one that killed it (jobs are deterministic for their seed). Nothing is saved, the
   * replay stops with the caller's signal or after REPLAY_LIMIT_MS, and any trouble falls
   * back to `fallback`.
   */
  private async replayForCall(
    bundle: EnvironmentBundle,
    job: RunnerJob,
    options: RunnerOptions,
    fallback: UserCallName,
  ): Promise<UserCallName> {
    let dir: string | null = null;
    let replay: ProcessRunner | null = null;
    try {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "rl-playground-trace-"));
      const trace = path.join(dir, "calls");
      replay = new ProcessRunner(this.backend, this.memoryLimitMb, trace);
      const stop = new AbortController();
      const timer = setTimeout(() => stop.abort(), REPLAY_LIMIT_MS);
      const onAbort = () => stop.abort();
      options.signal?.addEventListener("abort", onAbort, { once: true });
      const quiet: RunnerJob = job.kind === "train" ? { ...job, runDir: null } : job;
      const outcome = await replay.start(bundle, quiet, { callTimeoutMs: options.callTimeoutMs, signal: stop.signal }).outcome;
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      const died = !outcome.ok && "failure" in outcome && outcome.failure.code === "user-code-crashed";
      return (died && fs.existsSync(trace) && lastTracedCall(fs.readFileSync(trace, "latin1"))) || fallback;
    } catch {
      return fallback;
    } finally {
      replay?.terminate();
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  start<T>(bundle: EnvironmentBundle, job: RunnerJob, options: RunnerOptions): RunningJob<T> {
    const { child } = this;
    this.busy = true;
    this.jobs++;
    let answer: (outcome: RunnerOutcome<T>) => void = () => undefined;
    let release: (free: boolean) => void = () => undefined;
    const outcome = new Promise<RunnerOutcome<T>>((resolve) => (answer = resolve));
    const free = new Promise<boolean>((resolve) => (release = resolve));

    let answered = false;
    let ended = false;
    let backend: BackendName | null = null;
    let lastCall: UserCallName = "none";
    /** How long `lastCall` had been running at the last report: 0 means it may have moved on since. */
    let lastRunningMs = 0;
    let killTimer: NodeJS.Timeout | undefined;
    /** A training asked to stop: its end is the runner's (see `end`). */
    let stoppingTraining = false;
    const where = () => describeCall(lastCall);

    const reply = (o: RunnerOutcome<T>) => {
      if (answered) return;
      answered = true;
      answer(o);
    };
    /**
     * The job is over for the runner: `reusable` keeps the process for the next job, else it is
     * killed. A training asked to stop is over when its runner is: the runner is retired and the
     * outcome answered once the process has exited, so a caller that reports the end reports
     * something that has happened (nothing of the run is still running, its folder is final).
     */
    const end = (o: RunnerOutcome<T>, reusable: boolean) => {
      if (!stoppingTraining) reply(o);
      if (ended) return;
      ended = true;
      clearTimeout(killTimer);
      clearInterval(memoryWatch);
      options.signal?.removeEventListener("abort", onAbort);
      child.off("message", onMessage);
      child.off("exit", onExit);
      this.busy = false;
      if (!reusable || stoppingTraining) this.terminate();
      if (stoppingTraining) void this.gone.then(() => reply(o));
      release(reusable && !stoppingTraining && !this.dead);
    };

    // Memory outside the JavaScript heap (buffers, typed arrays) is not covered by the heap
    // limit: watch the whole process's resident memory.
    const rssLimit = this.memoryLimitMb + MEMORY_ALLOWANCE_MB;
    const memoryWatch = setInterval(() => {
      const rss = residentMb(child.pid);
      if (rss !== null && rss > rssLimit)
        end(
          {
            ok: false,
            backend,
            failure: {
              code: "user-code-crashed",
              call: failureCall(lastCall),
              message: `the runner was stopped while ${where()} was running: it used ${Math.round(rss)} MB of memory, over the limit of ${rssLimit} MB. Look for an allocation that grows without bound.`,
            },
          },
          false,
        );
    }, MEMORY_POLL_MS);

    const onMessage = (m: ProcessMessage) => {
      switch (m.type) {
        case "backend":
          backend = m.backend;
          options.onBackend?.(m.backend, m.reason);
          break;
        case "call":
          lastCall = m.call;
          lastRunningMs = m.runningMs;
          break;
        case "progress":
          if (!answered) options.onProgress?.(m.metrics);
          break;
        case "heartbeat":
          if (!answered) options.onHeartbeat?.(m.heartbeat);
          break;
        case "playback":
          if (!answered) options.onPlayback?.(m.result);
          break;
        case "started":
          options.onStart?.(m.start);
          break;
        case "done":
          end(m.outcome as RunnerOutcome<T>, m.clean);
          break;
      }
    };

    const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
      const line = this.stderrTail.split("\n").find((l) => /Fatal|FATAL|fatal error|Check failed/.test(l));
      const how = `${signal ? `signal ${signal}` : `exit code ${code}`}${line ? `; V8 said: ${line.trim()}` : ""}`;
      // Reports come every 20 ms: a call seen running across two reports is the one that was
      // still running at death; otherwise the process may have died in a later call, so
      // replay the job (deterministic for its seed) with a trace to learn which.
      const known = lastCall !== "none" && lastRunningMs > 0;
      const crash = (call: UserCallName) => {
        lastCall = call;
        end(
          {
            ok: false,
            backend,
            failure: {
              code: "user-code-crashed",
              call: failureCall(call),
              message: `the runner process died (${how}) while ${where()} was running. A fatal error such as an allocation too large for the heap, or a native crash, does this; the editor and the server are unharmed.`,
            },
          },
          false,
        );
      };
      // A training asked to stop that dies meanwhile has stopped (its runner was on the way out).
      if (answered || stoppingTraining) end({ ok: false, cancelled: true, backend }, false);
      else if (known || this.traceFile) crash(lastCall);
      else void this.replayForCall(bundle, job, options, lastCall).then(crash);
    };

    const onAbort = () => {
      send({ type: "cancel" });
      if (job.kind === "train") {
        // The training stops at its next step and saves its run as stopped; a slow step is cut short.
        stoppingTraining = true;
        killTimer = setTimeout(() => end({ ok: false, cancelled: true, backend }, false), TRAIN_STOP_MS);
      } else {
        // Nothing to save: the caller has its answer now; the runner is reused if it stops in time.
        reply({ ok: false, cancelled: true, backend });
        killTimer = setTimeout(() => end({ ok: false, cancelled: true, backend }, false), JOB_STOP_MS);
      }
    };
    const send = (request: ProcessRequest) => {
      if (!this.exited && child.connected) child.send(request);
    };

    // Stopped before it began: the runner never sees the job.
    if (options.signal?.aborted) {
      end({ ok: false, cancelled: true, backend: null }, true);
      return { outcome, free };
    }
    child.on("message", onMessage);
    if (this.exited) {
      onExit(child.exitCode, child.signalCode);
      return { outcome, free };
    }
    child.on("exit", onExit);
    options.signal?.addEventListener("abort", onAbort, { once: true });
    send({ type: "job", bundle, job, callTimeoutMs: options.callTimeoutMs });
    return { outcome, free };
  }
}

/**
 * The caller's Node options for the runner (a loader such as tsx must carry over), without the
 * ones that name code to run: a caller started as `node -e "…"` would otherwise have every
 * runner run that code again, and start runners of its own, and so on.
 */
export function runnerExecArgv(execArgv: readonly string[] = process.execArgv): string[] {
  const out: string[] = [];
  for (let k = 0; k < execArgv.length; k++) {
    const a = execArgv[k];
    if (a === "-e" || a === "--eval" || a === "-p" || a === "--print") {
      k++; // its value
      continue;
    }
    if (/^(--eval|--print)=/.test(a) || a === "--test" || a.startsWith("--test-") || a === "--watch" || a.startsWith("--watch-")) continue;
    out.push(a);
  }
  return out;
}
