/**
 * A few integers shared between the thread that runs user code and the thread that
 * watches it. The runner writes which user function it is in before every call and
 * bumps a sequence number on every entry and exit; it also writes its thread id once, so
 * the watcher can read that thread's CPU time (`rl/threadCpuClock.ts`). The watcher, polling,
 * sees a call whose sequence number has not moved while the thread spent more CPU time than
 * the limit, and terminates the runner. Writing two integers costs nothing next to a call, so
 * every call is guarded; the CPU clock is read by the watcher only, every poll.
 */
import * as fs from "node:fs";
import { ownThreadId } from "../rl/threadCpuClock";

export const UserCall = {
  none: 0,
  load: 1,
  construct: 2,
  reset: 3,
  step: 4,
  reward: 5,
  render: 6,
  /** A callback user code scheduled (timer, immediate, tick, microtask, promise reaction): see `threadCallbackWatch.ts`. */
  callback: 7,
  close: 8,
} as const;
export type UserCallName = keyof typeof UserCall;
const NAMES = Object.keys(UserCall) as UserCallName[];
const TRACE_CODES = NAMES.map((_, k) => String(k));

/** The last call entered, from a trace file written by a `CallGuard` with a trace fd. */
export function lastTracedCall(trace: string): UserCallName | null {
  const last = trace.at(-1);
  return last === undefined ? null : (NAMES[Number(last)] ?? null);
}

const CANCEL = 0;
const CALL = 1;
const SEQ = 2;
/** Where the running callback was scheduled: line and column in the bundle (1-based), 0 when unknown. */
const SCHEDULED_LINE = 3;
const SCHEDULED_COLUMN = 4;
/** The kernel's id of the thread running user code, 0 when unknown (no /proc). */
const THREAD = 5;
const SLOTS = 6;

/** A position in the bundle's generated code, as a stack frame gives it (line and column 1-based). */
export interface BundlePosition {
  line: number;
  column: number;
}

/** How a message names the user function that was running. */
export function describeCall(call: UserCallName): string {
  if (call === "none") return "the engine";
  if (call === "load") return "the file's top-level code";
  if (call === "callback") return "a callback the file scheduled (a timer, setImmediate, process.nextTick, queueMicrotask or a promise)";
  return `${call}()`;
}

/** The call a failure names (`UserFailure.call`): a callback has no function of its own to be placed on. */
export type FailureCallName = Exclude<UserCallName, "callback">;
export function failureCall(call: UserCallName): FailureCallName {
  return call === "callback" ? "none" : call;
}

export function createGuardBuffer(): SharedArrayBuffer {
  return new SharedArrayBuffer(SLOTS * Int32Array.BYTES_PER_ELEMENT);
}

/** The runner's side. */
export class CallGuard {
  private readonly slots: Int32Array;
  /**
   * @param traceFd when set, every call entry is also written there as one byte (slow: only
   *   for re-running a job that killed its process, to learn which call did it).
   */
  constructor(
    buffer: SharedArrayBuffer,
    private readonly traceFd?: number,
  ) {
    this.slots = new Int32Array(buffer);
    Atomics.store(this.slots, THREAD, ownThreadId() ?? 0);
  }
  enter(call: number): void {
    this.slots[CALL] = call;
    this.slots[SEQ]++;
    if (this.traceFd !== undefined) fs.writeSync(this.traceFd, TRACE_CODES[call]);
  }
  exit(): void {
    this.slots[CALL] = UserCall.none;
    this.slots[SEQ]++;
  }
  /** Entering a callback user code scheduled, at `scheduledAt` in the bundle when known. */
  enterCallback(scheduledAt: BundlePosition | null): void {
    this.slots[SCHEDULED_LINE] = scheduledAt?.line ?? 0;
    this.slots[SCHEDULED_COLUMN] = scheduledAt?.column ?? 0;
    this.enter(UserCall.callback);
  }
  /** In a user function or a callback user code scheduled. */
  get inUserCode(): boolean {
    return this.slots[CALL] !== UserCall.none;
  }
  /** Set by the caller to ask for a stop; checked between updates and episodes. */
  get cancelled(): boolean {
    return Atomics.load(this.slots, CANCEL) !== 0;
  }
}

/** How long the current user call has been running, since the poll that first saw it. */
export interface CallElapsed {
  wallMs: number;
  /** CPU time of the thread running it; null when the thread's clock cannot be read (no /proc). */
  cpuMs: number | null;
}

/**
 * A call that waits without spending CPU (Atomics.wait, a synchronous sleep, execSync of a
 * process that never ends) is still stopped once it has run for this many times the limit on
 * the wall clock. 30: a thread that is ready to run gets about cores / (runnable threads) of a
 * core, so 2 s of CPU time fit in 60 s of wall time up to about 30 runnable threads a core, a
 * load far beyond a busy laptop's (8 on 2 cores is 4 a core); a call still under its CPU limit
 * after 30 times the limit on the wall clock is blocked, not slow. With the default 2 s that is
 * 60 s, and a test that sets a small limit gets a small backstop too.
 */
export const WALL_BACKSTOP_FACTOR = 30;

/** Why a call is stopped: its CPU time, the wall-clock backstop, or the wall clock where there is no CPU clock. */
export type OverLimit = "cpu" | "backstop" | "wall";

/**
 * The watchdog's rule: a call is stopped when its thread spent more than `limitMs` of CPU
 * time in it, or when it ran `WALL_BACKSTOP_FACTOR` times as long on the wall clock. Without
 * a CPU clock, the wall clock against the limit itself.
 */
export function overLimit(elapsed: CallElapsed, limitMs: number): OverLimit | null {
  if (elapsed.cpuMs === null) return elapsed.wallMs > limitMs ? "wall" : null;
  if (elapsed.cpuMs > limitMs) return "cpu";
  return elapsed.wallMs > limitMs * WALL_BACKSTOP_FACTOR ? "backstop" : null;
}

/** The watcher's side. */
export class CallWatch {
  private readonly slots: Int32Array;
  private lastSeq = -1;
  private enteredAt = 0;
  private cpuAtEntry: number | null = null;
  private cpuLast: number | null = null;
  constructor(buffer: SharedArrayBuffer) {
    this.slots = new Int32Array(buffer);
  }
  cancel(): void {
    Atomics.store(this.slots, CANCEL, 1);
  }
  /** The user function the runner is in right now. */
  get current(): UserCallName {
    return NAMES[Atomics.load(this.slots, CALL)] ?? "none";
  }
  /** Where the callback being run was scheduled, in the bundle, when known. */
  get scheduledAt(): BundlePosition | null {
    const line = Atomics.load(this.slots, SCHEDULED_LINE);
    return line > 0 ? { line, column: Atomics.load(this.slots, SCHEDULED_COLUMN) } : null;
  }
  /** The kernel's id of the thread running user code, once a job has started there; null when unknown. */
  get threadId(): number | null {
    return Atomics.load(this.slots, THREAD) || null;
  }
  /**
   * How long the current user call has been running, as seen from successive polls: `now`
   * on the wall clock, `cpuNow` the running thread's CPU time (null when it cannot be read).
   * A call is timed from the first poll that sees it (same sequence number), so up to one
   * poll interval of its start is not counted. Once the CPU clock was read during a call, a
   * reading that fails later counts as no progress (the backstop still applies), never as a
   * switch to the wall clock against the CPU limit.
   */
  poll(now: number, cpuNow: number | null): CallElapsed {
    const seq = Atomics.load(this.slots, SEQ);
    const inCall = Atomics.load(this.slots, CALL) !== UserCall.none;
    if (!inCall || seq !== this.lastSeq) {
      this.lastSeq = seq;
      this.enteredAt = now;
      this.cpuAtEntry = this.cpuLast = cpuNow;
      return { wallMs: 0, cpuMs: cpuNow === null ? null : 0 };
    }
    if (cpuNow !== null) {
      this.cpuAtEntry ??= cpuNow;
      this.cpuLast = cpuNow;
    }
    const cpuMs = this.cpuAtEntry === null || this.cpuLast === null ? null : this.cpuLast - this.cpuAtEntry;
    return { wallMs: now - this.enteredAt, cpuMs };
  }
}
