/**
 * A mark that every process started under a runner carries, so that what user code started
 * can be found and killed after the runner is gone: also a process that left the runner's
 * group and session and whose parent exited (an orphan adopted by init is under no process
 * of ours, so the tree walk of `runnerProcessTree.ts` misses it). Two marks, both inherited across
 * fork and exec:
 * - the environment variable RL_PLAYGROUND_RUNNER=<random id>, lost by a process started
 *   with an environment of its own (`env: {}`, `env -i`);
 * - a random hard limit on RLIMIT_RTTIME, set by prlimit when the runner starts. That limit
 *   is the CPU time a process under a real-time scheduler may use without blocking; ours is
 *   at least 2^40 µs (12 days), so it binds nothing. A new environment keeps it, and an
 *   unprivileged process can lower a hard limit but never raise it back to unlimited.
 * A process that carries either mark is the runner's. Linux only (/proc); elsewhere nothing
 * is found, and the process group is what remains (see `runnerProcessTree.ts`).
 */
import { randomBytes, randomInt } from "node:crypto";
import * as fs from "node:fs";
import { isRunning } from "./runnerProcessTree";

export const MARK_VARIABLE = "RL_PLAYGROUND_RUNNER";

export interface RunnerMark {
  /** The value of MARK_VARIABLE in the runner's environment. */
  id: string;
  /** The runner's hard RLIMIT_RTTIME in µs, or null when it could not be set (no prlimit, or ours is not unlimited). */
  rttime: number | null;
}

/** Stop-and-rescan rounds before the kill (see `killMarked`). */
const MAX_ROUNDS = 8;
/** The second sweep after a runner's end, for a process that was being created while the first one ran. */
export const SWEEP_AGAIN_MS = 200;

/** A new mark; `withLimit` when the runner will be started through prlimit. */
export function newRunnerMark(withLimit: boolean): RunnerMark {
  const id = randomBytes(12).toString("hex");
  // Raising a hard limit is not allowed: only a process whose own is unlimited can start one with ours.
  const rttime = withLimit && hardRttime("self") === "unlimited" ? randomInt(2 ** 40, 2 ** 40 + 2 ** 47) : null;
  return { id, rttime };
}

/** prlimit's option that sets the mark's limit (none when it has none). */
export function prlimitOptions(mark: RunnerMark): string[] {
  return mark.rttime === null ? [] : [`--rttime=${mark.rttime}:${mark.rttime}`];
}

/** The hard limit column of RLIMIT_RTTIME in /proc/PID/limits, or null when unreadable. */
function hardRttime(pid: number | "self"): string | null {
  let limits: string;
  try {
    limits = fs.readFileSync(`/proc/${pid}/limits`, "latin1");
  } catch {
    return null;
  }
  const line = /^Max realtime timeout\s+\S+\s+(\S+)/m.exec(limits);
  return line ? line[1] : null;
}

/** Owned by the user we run as (the only processes we can signal): a stat spares reading the marks of the others. */
function ours(pid: number, uid: number | undefined): boolean {
  try {
    return uid === undefined || fs.statSync(`/proc/${pid}`).uid === uid;
  } catch {
    return false;
  }
}

function carriesMark(pid: number, mark: RunnerMark, variable: string): boolean {
  if (mark.rttime !== null && hardRttime(pid) === String(mark.rttime)) return true;
  let environ: string;
  try {
    environ = fs.readFileSync(`/proc/${pid}/environ`, "latin1");
  } catch {
    return false;
  }
  return environ.startsWith(variable) || environ.includes(`\0${variable}`);
}

/** The pid most recently handed out (field 5 of /proc/loadavg), or null where there is none. */
export function lastPid(): number | null {
  try {
    const last = Number(fs.readFileSync("/proc/loadavg", "latin1").trim().split(" ")[4]);
    return Number.isInteger(last) ? last : null;
  } catch {
    return null;
  }
}

export interface SweepOptions {
  /** Never this process (a runner sweeping up after a job); the sweeping process is always spared. */
  except?: number;
  /**
   * Only processes created after `lastPid()` returned this: pids are handed out in increasing
   * order, wrapping at pid_max, so a job's processes lie in (since, last pid now]. A runner
   * reads it before each job, so the sweep after the job reads only a few processes.
   */
  since?: number | null;
}

/** Running processes that carry `mark`, from /proc; [] where there is no /proc. */
export function markedProcesses(mark: RunnerMark, options: SweepOptions = {}): number[] {
  let names: string[];
  try {
    names = fs.readdirSync("/proc");
  } catch {
    return [];
  }
  const since = options.since ?? null;
  // Read after the listing, so every listed process's pid is at most `now`.
  const now = since === null ? null : lastPid();
  const inWindow = (pid: number) =>
    since === null || now === null || (since <= now ? pid > since && pid <= now : pid > since || pid <= now);
  const variable = `${MARK_VARIABLE}=${mark.id}\0`;
  const uid = process.getuid?.();
  const out: number[] = [];
  for (const name of names) {
    const pid = Number(name);
    if (!Number.isInteger(pid) || pid === process.pid || pid === options.except || !inWindow(pid) || !ours(pid, uid)) continue;
    if (carriesMark(pid, mark, variable) && isRunning(pid)) out.push(pid);
  }
  return out;
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Gone meanwhile.
  }
}

/**
 * SIGKILLs every running process that carries `mark`; returns how many there were. Each one
 * found is first stopped (SIGSTOP, which cannot be caught), and the scan repeats until it
 * finds no new one: a stopped process forks no more, so a child created while the scan ran
 * is found by the next one, and a process forking in a loop cannot stay ahead of the kill.
 */
export function killMarked(mark: RunnerMark, options: SweepOptions = {}): number {
  const stopped = new Set<number>();
  for (let round = 0; round < MAX_ROUNDS; round++) {
    const fresh = markedProcesses(mark, options).filter((pid) => !stopped.has(pid));
    if (fresh.length === 0) break;
    for (const pid of fresh) {
      signal(pid, "SIGSTOP");
      stopped.add(pid);
    }
  }
  for (const pid of stopped) signal(pid, "SIGKILL");
  return stopped.size;
}
