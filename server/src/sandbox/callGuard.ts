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
const SLOTS = 3;

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
