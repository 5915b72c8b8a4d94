/**
 * The probe's bound (design §5 `slow-step`), counted in CPU time of the thread that runs the
 * probe, never in wall time: a loaded machine slows the probe down but does not change what
 * it samples or concludes. Only an environment whose own code is slow meets the bound.
 */
import { performance } from "node:perf_hooks";
import { threadCpuMs } from "./threadCpuClock";

/** `slow-step` when the user code of one training update costs at least this much CPU time. */
export const SLOW_UPDATE_MS = 500;

/** How often the bound reads the CPU clock at most (a read is a system call). */
const READ_EVERY_MS = 20;

export class CpuTimeBudget {
  private readonly startCpu: number;
  private lastRead = -Infinity;
  private spent = 0;

  constructor(
    readonly limitMs: number,
    private readonly clock: () => number = threadCpuMs,
  ) {
    this.startCpu = clock();
  }

  /** CPU milliseconds spent by this thread since the bound was made. */
  get spentMs(): number {
    this.spent = this.clock() - this.startCpu;
    this.lastRead = performance.now();
    return this.spent;
  }

  get exhausted(): boolean {
    if (performance.now() - this.lastRead >= READ_EVERY_MS) void this.spentMs;
    return this.spent >= this.limitMs;
  }

  /** Runs `fn` (a user call) unless the bound is spent. */
  charge<T>(fn: () => T): T {
    if (this.exhausted) throw new OutOfTime();
    return fn();
  }
}

/** A replay check refused to start a call once the bound was spent. */
export class OutOfTime extends Error {}

/** What the probe's sampling saw: the facts behind `slow-step`. */
export interface ProbeTime {
  /** The bound, in CPU milliseconds of the probe's thread. */
  limitMs: number;
  /** Sampling met the bound before the probe's fixed sample was complete: no statistics. */
  stoppedEarly: boolean;
  /** Complete episodes sampled, and the size of the probe's sample. */
  episodes: number;
  wanted: number;
  /** Calls of step sampled, and the mean CPU milliseconds per call of step and of the reward export (null: none made). */
  stepCalls: number;
  stepMs: number | null;
  rewardMs: number | null;
  /** Mean length of the complete episodes, null when none completed. */
  meanEpisodeLength: number | null;
}
