/**
 * Runners kept warm for checks: each runner process, its thread up and TensorFlow.js
 * loaded, serves job after job (each in a fresh module scope, see `threadMain.ts`), so an
 * on-type check pays no start-up. A runner whose job timed out, crashed, was stopped or
 * left something behind is retired, and a fresh one is started in its place ahead of need.
 *
 * The pool holds at most `maxRunners` processes, idle and busy together: a runner costs
 * about 80 MB and a core, so fifty files opened at once must not start fifty of them (two
 * cores thrashing between fifty processes finish the last check later than two processes
 * serving fifty checks in turn). A job that finds every runner busy waits for one; when a
 * runner comes free the waiting job with the highest `priority()` gets it (asked at that
 * moment, so a priority that changes while jobs wait, such as the editor's active file,
 * takes effect at once), the longest-waiting first among equals.
 */
import * as os from "node:os";
import type { BackendChoice } from "../protocol";
import { ProcessRunner } from "./hostProcess";
import { DEFAULT_MEMORY_LIMIT_MB } from "./runnerShared";

/**
 * One runner per core, at most MAX_DEFAULT_RUNNERS: a check keeps its runner's core busy, and
 * more runners than cores only share the same cores. A runner holds about 150 MB at its peak
 * (measured on CartPole's probe; the server about 160 MB, esbuild 25 MB), so four keep the
 * server's processes under 1 GB on a machine of any size.
 */
export const MAX_DEFAULT_RUNNERS = 4;

export function defaultMaxRunners(): number {
  return Math.max(1, Math.min(os.availableParallelism(), MAX_DEFAULT_RUNNERS));
}

export interface TakeOptions {
  /** Aborted while waiting: the job gets no runner (`take` resolves null). */
  signal?: AbortSignal;
  /** Among waiting jobs, the highest is served first (default 0). */
  priority?: () => number;
}

interface Waiter {
  resolve(runner: ProcessRunner | null): void;
  priority: () => number;
  signal?: AbortSignal;
  onAbort(): void;
}

export class RunnerPool {
  private readonly idle: ProcessRunner[] = [];
  private readonly all = new Set<ProcessRunner>();
  private readonly waiting: Waiter[] = [];
  private disposed = false;
  private max: number;
  /** Runners started since the pool was made (a warm pool starts few). */
  started = 0;
  /** The most runners alive at once since the pool was made. */
  peak = 0;

  /**
   * @param spares idle runners to keep ready: 1 is enough when jobs come one at a time; the
   *   spare also takes the next job while a stopped runner is still winding down.
   * @param maxRunners runner processes alive at once, at most (idle ones included).
   */
  constructor(
    readonly backend: BackendChoice = "auto",
    readonly memoryLimitMb = DEFAULT_MEMORY_LIMIT_MB,
    readonly spares = 1,
    maxRunners = defaultMaxRunners(),
  ) {
    this.max = Math.max(1, Math.floor(maxRunners));
  }

  get maxRunners(): number {
    return this.max;
  }

  /** A new bound: surplus idle runners end now, busy ones when their job is done. */
  setMaxRunners(maxRunners: number): void {
    this.max = Math.max(1, Math.floor(maxRunners));
    this.prune();
    while (this.all.size > this.max && this.idle.length) this.end(this.idle.pop() as ProcessRunner);
    this.serve();
  }

  /** Starts runners now until `spares` are idle, within the bound. */
  warm(): void {
    if (this.disposed) return;
    this.prune();
    while (this.idle.length < this.spares && this.all.size < this.max && !this.waiting.length) this.idle.push(this.launch());
  }

  /**
   * A runner for one job: an idle one (the longest-lived first: warm caches), a new one while
   * under the bound, or the next one to come free. Null when `signal` aborts first or the pool
   * is disposed meanwhile. Give it back with `give` when the job is over.
   */
  take(options: TakeOptions = {}): Promise<ProcessRunner | null> {
    // A disposed pool (the settings changed) answers like a stopped job: its check is redone with the new pool.
    if (this.disposed || options.signal?.aborted) return Promise.resolve(null);
    return new Promise((resolve) => {
      const waiter: Waiter = {
        resolve,
        priority: options.priority ?? (() => 0),
        signal: options.signal,
        onAbort: () => {
          const k = this.waiting.indexOf(waiter);
          if (k >= 0) this.waiting.splice(k, 1);
          resolve(null);
        },
      };
      options.signal?.addEventListener("abort", waiter.onAbort, { once: true });
      this.waiting.push(waiter);
      this.serve();
      // A spare starts loading while this job works (within the bound).
      setImmediate(() => this.warm());
    });
  }

  /** Back from a job: handed to a waiting job, kept when it can serve another and fewer than `spares` + 1 wait, else ended. */
  give(runner: ProcessRunner): void {
    this.prune();
    // Over the bound when it was lowered while this runner worked.
    if (this.disposed || !runner.idle || this.all.size > this.max) this.end(runner);
    else if (this.waiting.length || this.idle.length <= this.spares) this.idle.unshift(runner);
    else this.end(runner);
    this.serve();
    // The next one starts loading while the others work.
    setImmediate(() => this.warm());
  }

  /** Runners alive (idle or busy). */
  get size(): number {
    this.prune();
    return this.all.size;
  }

  /** Jobs waiting for a runner. */
  get queued(): number {
    return this.waiting.length;
  }

  dispose(): void {
    this.disposed = true;
    for (const runner of this.all) runner.terminate();
    this.all.clear();
    this.idle.length = 0;
    for (const waiter of this.waiting.splice(0)) this.hand(waiter, null);
  }

  /** Hands runners to waiting jobs, best first, while there are idle runners or room for new ones. */
  private serve(): void {
    if (this.disposed) return;
    this.prune();
    while (this.waiting.length && (this.idle.length || this.all.size < this.max)) {
      let best = 0;
      let bestPriority = this.waiting[0].priority();
      for (let k = 1; k < this.waiting.length; k++) {
        const p = this.waiting[k].priority();
        if (p > bestPriority) [best, bestPriority] = [k, p];
      }
      const [waiter] = this.waiting.splice(best, 1);
      this.hand(waiter, this.idle.shift() ?? this.launch());
    }
  }

  private hand(waiter: Waiter, runner: ProcessRunner | null): void {
    waiter.signal?.removeEventListener("abort", waiter.onAbort);
    waiter.resolve(runner);
  }

  private launch(): ProcessRunner {
    const runner = new ProcessRunner(this.backend, this.memoryLimitMb);
    this.started++;
    this.all.add(runner);
    this.peak = Math.max(this.peak, this.all.size);
    return runner;
  }

  private end(runner: ProcessRunner): void {
    runner.terminate();
    this.all.delete(runner);
    const k = this.idle.indexOf(runner);
    if (k >= 0) this.idle.splice(k, 1);
  }

  private prune(): void {
    for (const runner of this.all) if (runner.dead) this.all.delete(runner);
    for (let k = this.idle.length - 1; k >= 0; k--) if (!this.idle[k].idle) this.idle.splice(k, 1);
  }
}
