/**
 * The probe's time bound (design §5 `slow-step`): what it counts, and what the sampling saw
 * before it.
 */
import { performance } from "node:perf_hooks";

/**
 * The probe's time bound, counted in time spent inside user calls: a slow environment
 * meets it, a loaded machine (slow engine, fast environment) does not, so `slow-step`
 * never blames a healthy file for the machine's load. A call that starts before the bound
 * runs to its end (at most the call time limit): that is the overrun.
 */
export class UserTimeBudget {
  spentMs = 0;
  constructor(readonly limitMs: number) {}

  get exhausted(): boolean {
    return this.spentMs >= this.limitMs;
  }

  /** Runs `fn` (a user call) and charges its time. */
  charge<T>(fn: () => T): T {
    const start = performance.now();
    try {
      return fn();
    } finally {
      this.spentMs += performance.now() - start;
    }
  }
}

/** What the probe's sampling saw before its time bound: the facts behind `slow-step`. */
export interface ProbeTime {
  /** The bound, in milliseconds spent in user calls. */
  limitMs: number;
  /** Sampling stopped at the bound before it had its minimum (two updates' worth of episodes). */
  stoppedEarly: boolean;
  /** Complete episodes sampled, and the minimum wanted. */
  episodes: number;
  wanted: number;
  /** Calls of step sampled, and the mean milliseconds per call of step and of the reward export (null: none made). */
  stepCalls: number;
  stepMs: number | null;
  rewardMs: number | null;
  /** Mean length of the complete episodes, null when none completed. */
  meanEpisodeLength: number | null;
}
