/**
 * User code runs in the runner, whose parent is the caller (the CLI, the language server):
 * `process.kill(process.ppid, "SIGKILL")` in a step would kill it. In the runner thread,
 * `process.kill` (and `process._kill`, the binding it calls) only signal the runner's own
 * processes: the runner itself, its group (0), and processes it started (their groups too).
 * Anything else is refused with EPERM and says why; signal 0 (does it exist?) is always
 * allowed. This stops the naive case only: a program user code starts
 * (`execSync("kill -9 " + ppid)`, the parent's pid read from /proc) is not bound by it.
 */
import * as os from "node:os";
import { descendants } from "./runnerProcessTree";

type Kill = (pid: number, signal?: string | number) => boolean;
type RawKill = (pid: number, signal: number) => number;

/** The runner's own processes: itself, its group, and its descendants and their groups. */
export function ownProcess(target: number): boolean {
  if (target === 0 || target === process.pid || target === -process.pid) return true;
  if (!Number.isSafeInteger(target) || target === -1) return false;
  return descendants(process.pid).includes(Math.abs(target));
}

const isProbe = (signal: unknown) => signal === 0 || signal === "0";

/** Installs the guard on this thread's `process` (a worker's own object: other threads keep theirs). */
export function guardProcessSignals(): void {
  const kill = process.kill.bind(process) as Kill;
  const holder = process as unknown as { _kill?: RawKill };
  const rawKill = holder._kill?.bind(process);
  const guardedKill: Kill = (pid, signal) => {
    const target = Number(pid);
    if (!isProbe(signal) && !ownProcess(target)) {
      const error = new Error(
        `process.kill(${String(pid)}) was refused: code in an environment may only signal the processes it started (the runner is ${process.pid}), not the editor's or the command line's`,
      ) as NodeJS.ErrnoException;
      error.code = "EPERM";
      error.errno = -os.constants.errno.EPERM;
      error.syscall = "kill";
      throw error;
    }
    return kill(pid, signal);
  };
  Object.defineProperty(process, "kill", { value: guardedKill, writable: false, configurable: false, enumerable: true });
  if (rawKill) {
    const guardedRawKill: RawKill = (pid, signal) =>
      signal === 0 || ownProcess(Number(pid)) ? rawKill(pid, signal) : -os.constants.errno.EPERM;
    Object.defineProperty(process, "_kill", { value: guardedRawKill, writable: false, configurable: false, enumerable: false });
  }
}
