/**
 * A few integers shared between the thread that runs user code and the thread that
 * watches it. The runner writes which user function it is in before every call and
 * bumps a sequence number on every entry and exit; the watcher, polling, sees a call
 * whose sequence number has not moved for longer than the time limit and terminates
 * the runner. Writing two integers costs nothing next to a call, so every call is guarded.
 */
import * as fs from "node:fs";

export const UserCall = {
  none: 0,
  load: 1,
  construct: 2,
  reset: 3,
  step: 4,
  reward: 5,
  render: 6,
  /** A callback user code scheduled (timer, immediate, tick, microtask, promise reaction): see `callbackWatch.ts`. */
  callback: 7,
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
const SLOTS = 5;

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

/** The watcher's side. */
export class CallWatch {
  private readonly slots: Int32Array;
  private lastSeq = -1;
  private stuckSince = 0;
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
  /** Milliseconds the current user call has been running, as seen from successive polls. */
  poll(now: number): number {
    const seq = Atomics.load(this.slots, SEQ);
    const inCall = Atomics.load(this.slots, CALL) !== UserCall.none;
    if (!inCall || seq !== this.lastSeq) {
      this.lastSeq = seq;
      this.stuckSince = now;
      return 0;
    }
    return now - this.stuckSince;
  }
}
