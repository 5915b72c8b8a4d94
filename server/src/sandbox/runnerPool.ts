/**
 * Runners kept warm for checks: each runner process, its thread up and TensorFlow.js
 * loaded, serves job after job (each in a fresh module scope, see `worker.ts`), so an
 * on-type check pays no start-up. A runner whose job timed out, crashed, was stopped or
 * left something behind is retired, and a fresh one is started in its place ahead of need.
 */
import type { BackendChoice } from "../protocol";
import { ProcessRunner } from "./processRunner";
import { DEFAULT_MEMORY_LIMIT_MB } from "./runnerShared";

export class RunnerPool {
  private readonly idle: ProcessRunner[] = [];
  private readonly all = new Set<ProcessRunner>();
  private disposed = false;
  /** Runners started since the pool was made (a warm pool starts few). */
  started = 0;

  /**
   * @param spares idle runners to keep ready: 1 is enough when jobs come one at a time; the
   *   spare also takes the next job while a stopped runner is still winding down.
   */
  constructor(
    readonly backend: BackendChoice = "auto",
    readonly memoryLimitMb = DEFAULT_MEMORY_LIMIT_MB,
    readonly spares = 1,
  ) {}

  /** Starts runners now until `spares` are idle. */
  warm(): void {
    if (this.disposed) return;
    this.prune();
    while (this.idle.length < this.spares) this.idle.push(this.launch());
  }

  /** An idle runner (the longest-lived first: warm caches), or a new one; spares are topped up behind it. */
  take(): ProcessRunner {
    if (this.disposed) throw new Error("the runner pool was disposed");
    this.prune();
    const runner = this.idle.shift() ?? this.launch();
    // The next one starts loading while this one works.
    setImmediate(() => this.warm());
    return runner;
  }

  /** Back from a job: kept when it can serve another and fewer than `spares` + 1 wait, else ended. */
  give(runner: ProcessRunner): void {
    if (!this.disposed && runner.idle && this.idle.length <= this.spares) this.idle.unshift(runner);
    else this.end(runner);
  }

  /** Runners alive (idle or busy). */
  get size(): number {
    this.prune();
    return this.all.size;
  }

  dispose(): void {
    this.disposed = true;
    for (const runner of this.all) runner.terminate();
    this.all.clear();
    this.idle.length = 0;
  }

  private launch(): ProcessRunner {
    const runner = new ProcessRunner(this.backend, this.memoryLimitMb);
    this.started++;
    this.all.add(runner);
    return runner;
  }

  private end(runner: ProcessRunner): void {
    runner.terminate();
    this.all.delete(runner);
  }

  private prune(): void {
    for (const runner of this.all) if (runner.dead) this.all.delete(runner);
    for (let k = this.idle.length - 1; k >= 0; k--) if (!this.idle[k].idle) this.idle.splice(k, 1);
  }
}
