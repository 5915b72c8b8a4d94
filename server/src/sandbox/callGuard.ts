/**
 * A few integers shared between the thread that runs user code and the thread that
 * watches it. The runner writes which user function it is in before every call and
 * bumps a sequence number on every entry and exit; the watcher, polling, sees a call
 * whose sequence number has not moved for longer than the time limit and terminates
 * the runner. Writing two integers costs nothing next to a call, so every call is guarded.
 */

export const UserCall = {
  none: 0,
  load: 1,
  construct: 2,
  reset: 3,
  step: 4,
  reward: 5,
} as const;
export type UserCallName = keyof typeof UserCall;
const NAMES = Object.keys(UserCall) as UserCallName[];

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
  constructor(buffer: SharedArrayBuffer) {
    this.slots = new Int32Array(buffer);
  }
  enter(call: number): void {
    this.slots[CALL] = call;
    this.slots[SEQ]++;
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
