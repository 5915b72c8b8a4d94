/**
 * The clock of one rollout: heartbeats at least every TICK_MS, the probe's CPU-time budget
 * (no user call starts once it is spent), and the time spent in user calls when asked. A
 * clock read costs about 1% of a fast step, so the clock is read per call only when needed:
 * with a budget, with timing asked, or for heartbeats while a time step of the lockstep
 * takes longer than SLOW_TIME_STEP_MS.
 */
import { performance } from "node:perf_hooks";
import type { CpuTimeBudget } from "./timeBound";
import type { Cancellation } from "./userCode";

/** How often `onTick` runs at least, in milliseconds. */
export const TICK_MS = 250;
const SLOW_TIME_STEP_MS = 10;

/** Optional limits and hooks of one rollout. */
export interface CollectOptions {
  /** The probe's CPU-time bound: no user call starts once it is spent. */
  budget?: CpuTimeBudget;
  /** Called between user calls at least every TICK_MS while the rollout runs (heartbeats). */
  onTick?(): void;
}

/** Time spent in user calls, summed over a rollout's life (measured per call only when asked). */
export interface CallTiming {
  stepCalls: number;
  stepMs: number;
  rewardCalls: number;
  rewardMs: number;
}

export class RolloutClock {
  /** Set when a call was refused because the budget was spent. */
  outOfTime = false;
  /** Whether the clock is read around every user call. */
  private perCall: boolean;
  private readonly alwaysPerCall: boolean;
  private lastTick = performance.now();
  private timeStepStart = 0;
  /** When the last call began (or, after a call, ended). */
  private mark = 0;

  /** @param timing where to add the time of each call, or null when not asked. */
  constructor(
    private readonly options: CollectOptions,
    private readonly guard: Cancellation,
    private readonly timing: CallTiming | null,
  ) {
    this.alwaysPerCall = timing !== null || options.budget !== undefined;
    // With heartbeats only, per call until the first time step says whether time steps are slow.
    this.perCall = this.alwaysPerCall || options.onTick !== undefined;
  }

  /** Before a reset: a heartbeat when due; false when the budget is spent. */
  beforeReset(): boolean {
    return !(this.options.budget || this.options.onTick) || this.mayCall(performance.now());
  }

  beginTimeStep(): void {
    this.timeStepStart = performance.now();
    if (this.options.onTick) this.mayCall(this.timeStepStart);
  }

  endTimeStep(): void {
    if (!this.alwaysPerCall && this.options.onTick) this.perCall = performance.now() - this.timeStepStart > SLOW_TIME_STEP_MS;
  }

  /** Before a step: false when a stop was asked or the budget is spent (checked per call only). */
  beforeStep(): boolean {
    if (!this.perCall) return true;
    this.mark = performance.now();
    return !this.guard.cancelled && this.mayCall(this.mark);
  }

  /** After a call of step, or of the reward export that follows it at once: its time, when asked. */
  after(call: "step" | "reward"): void {
    if (!this.perCall || !this.timing) return;
    const now = performance.now();
    if (call === "step") {
      this.timing.stepCalls++;
      this.timing.stepMs += now - this.mark;
    } else {
      this.timing.rewardCalls++;
      this.timing.rewardMs += now - this.mark;
    }
    this.mark = now;
  }

  /** Between user calls: a heartbeat when due, and whether the budget allows another call. */
  private mayCall(now: number): boolean {
    if (this.options.onTick && now - this.lastTick >= TICK_MS) {
      this.lastTick = now;
      this.options.onTick();
    }
    if (!this.options.budget?.exhausted) return true;
    this.outOfTime = true;
    return false;
  }
}
