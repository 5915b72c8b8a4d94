/**
 * The caller's side of a runner process. The process hosts a runner thread (which holds
 * the watchdog); here we relay its progress and its outcome, and turn the death of the
 * whole process (a V8 fatal error such as an array too large for the heap, a native
 * crash) into `user-code-crashed`, placed on the user function it last reported running.
 */
import { fork, spawn, type ChildProcess, type StdioOptions } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { BackendChoice, BackendName } from "../protocol";
import type { EnvironmentBundle } from "./bundle";
import { lastTracedCall, type UserCallName } from "./callGuard";
import type { HostMessage, HostRequest, HostStart, RunnerJob } from "./messages";
import { builtScript, type RunnerOptions, type RunnerOutcome } from "./runnerShared";

/** After a stop request, how long before the process is killed (the thread gets 0.8 s to stop). */
const KILL_GRACE_MS = 1500;
const MEMORY_POLL_MS = 100;
/** The longest a replay to find the call that killed a runner may take. */
const REPLAY_LIMIT_MS = 15_000;
/** The process may use its heap limit plus this much (TensorFlow.js, WebAssembly memory, buffers). */
const MEMORY_ALLOWANCE_MB = 1024;

/** util-linux's prlimit, to start the runner with a data-segment limit (Linux). */
const PRLIMIT = ["/usr/bin/prlimit", "/bin/prlimit"].find((p) => fs.existsSync(p)) ?? null;

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

export class ProcessRunner {
  private readonly child: ChildProcess;
  private exited = false;
  private stderrTail = "";

  constructor(
    readonly backend: BackendChoice,
    readonly memoryLimitMb: number,
    private readonly traceFile?: string,
  ) {
    // Native TensorFlow logs to stderr at load unless told otherwise.
    const env = { ...process.env, TF_CPP_MIN_LOG_LEVEL: process.env.TF_CPP_MIN_LOG_LEVEL ?? "2" };
    const start: HostStart = { backend, memoryLimitMb, traceFile };
    const args = [builtScript("runnerHost.js"), JSON.stringify(start)];
    const options = { env, serialization: "advanced" as const, stdio: ["ignore", "ignore", "pipe", "ipc"] as StdioOptions };
    // Cap the data segment too, so a huge ArrayBuffer fails at once ("Array buffer allocation
    // failed", reported as running out of memory) instead of growing until the watch stops it.
    const dataLimit = (this.memoryLimitMb + MEMORY_ALLOWANCE_MB) * 1024 * 1024;
    this.child = PRLIMIT
      ? spawn(PRLIMIT, [`--data=${dataLimit}:${dataLimit}`, process.execPath, ...process.execArgv, ...args], options)
      : fork(args[0], args.slice(1), options);
    this.child.stderr?.on("data", (chunk: Buffer) => (this.stderrTail = (this.stderrTail + chunk.toString()).slice(-4000)));
    this.child.on("exit", () => (this.exited = true));
    // Errors of a process that failed to start surface as its exit.
    this.child.on("error", () => undefined);
  }

  get dead(): boolean {
    return this.exited;
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
    try {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), "rl-playground-trace-"));
      const trace = path.join(dir, "calls");
      const replay = new ProcessRunner(this.backend, this.memoryLimitMb, trace);
      const stop = new AbortController();
      const timer = setTimeout(() => stop.abort(), REPLAY_LIMIT_MS);
      const onAbort = () => stop.abort();
      options.signal?.addEventListener("abort", onAbort, { once: true });
      const quiet: RunnerJob = job.kind === "train" ? { ...job, runDir: null } : job;
      const outcome = await replay.run(bundle, quiet, { callTimeoutMs: options.callTimeoutMs, signal: stop.signal });
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
      const died = !outcome.ok && "failure" in outcome && outcome.failure.code === "user-code-crashed";
      return (died && fs.existsSync(trace) && lastTracedCall(fs.readFileSync(trace, "latin1"))) || fallback;
    } catch {
      return fallback;
    } finally {
      if (dir) fs.rmSync(dir, { recursive: true, force: true });
    }
  }

  async terminate(): Promise<void> {
    if (!this.exited) this.child.kill("SIGKILL");
  }

  run<T>(bundle: EnvironmentBundle, job: RunnerJob, options: RunnerOptions): Promise<RunnerOutcome<T>> {
    const { child } = this;
    return new Promise((resolve) => {
      let settled = false;
      let backend: BackendName | null = null;
      let lastCall: UserCallName = "none";
      /** How long `lastCall` had been running at the last report: 0 means it may have moved on since. */
      let lastRunningMs = 0;
      let killTimer: NodeJS.Timeout | undefined;
      const where = () => (lastCall === "none" ? "the engine" : lastCall === "load" ? "the file's top-level code" : `${lastCall}()`);

      // Memory outside the JavaScript heap (buffers, typed arrays) is not covered by the heap
      // limit: watch the whole process's resident memory.
      const rssLimit = this.memoryLimitMb + MEMORY_ALLOWANCE_MB;
      const memoryWatch = setInterval(() => {
        const rss = residentMb(child.pid);
        if (rss !== null && rss > rssLimit)
          finish({
            ok: false,
            backend,
            failure: {
              code: "user-code-crashed",
              call: lastCall,
              message: `the runner was stopped while ${where()} was running: it used ${Math.round(rss)} MB of memory, over the limit of ${rssLimit} MB. Look for an allocation that grows without bound.`,
            },
          });
      }, MEMORY_POLL_MS);

      const finish = (outcome: RunnerOutcome<T>) => {
        if (settled) return;
        settled = true;
        clearTimeout(killTimer);
        clearInterval(memoryWatch);
        options.signal?.removeEventListener("abort", onAbort);
        child.off("message", onMessage);
        child.off("exit", onExit);
        if (!this.exited) child.kill("SIGKILL");
        resolve(outcome);
      };

      const onMessage = (m: HostMessage) => {
        switch (m.type) {
          case "backend":
            backend = m.backend;
            options.onBackend?.(m.backend);
            break;
          case "call":
            lastCall = m.call;
            lastRunningMs = m.runningMs;
            break;
          case "progress":
            options.onProgress?.(m.metrics);
            break;
          case "heartbeat":
            options.onHeartbeat?.(m.heartbeat);
            break;
          case "outcome":
            finish(m.outcome as RunnerOutcome<T>);
            break;
        }
      };

      const onExit = (code: number | null, signal: NodeJS.Signals | null) => {
        const line = this.stderrTail.split("\n").find((l) => /Fatal|FATAL|fatal error|Check failed/.test(l));
        const how = `${signal ? `signal ${signal}` : `exit code ${code}`}${line ? `; V8 said: ${line.trim()}` : ""}`;
        // The watchdog reports calls every 20 ms, so a process killed at once may not have
        // told us which call did it: replay the job, deterministic for its seed, with a trace.
        // Reports come every 20 ms: a call seen running across two reports is the one that was
        // still running at death; otherwise the process may have died in a later call.
        const known = lastCall !== "none" && lastRunningMs > 0;
        void (known || this.traceFile ? Promise.resolve(lastCall) : this.replayForCall(bundle, job, options, lastCall)).then((call) => {
          lastCall = call;
          finish({
            ok: false,
            backend,
            failure: {
              code: "user-code-crashed",
              call,
              message: `the runner process died (${how}) while ${where()} was running. A fatal error such as an allocation too large for the heap, or a native crash, does this; the editor and the server are unharmed.`,
            },
          });
        });
      };

      const onAbort = () => {
        send({ type: "cancel" });
        killTimer = setTimeout(() => finish({ ok: false, cancelled: true, backend }), KILL_GRACE_MS);
      };
      const send = (request: HostRequest) => {
        if (!this.exited && child.connected) child.send(request);
      };

      child.on("message", onMessage);
      if (this.exited) {
        onExit(child.exitCode, child.signalCode);
        return;
      }
      child.on("exit", onExit);
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener("abort", onAbort, { once: true });
      send({ type: "job", bundle, job, callTimeoutMs: options.callTimeoutMs });
    });
  }
}
