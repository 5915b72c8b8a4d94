/**
 * For the tests of processes that try to outlive their runner (the escape-*.rl.ts fixtures
 * append the pid of every process they start to the file named in RL_ESCAPE_PIDS).
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { SWEEP_AGAIN_MS } from "../server/src/sandbox/runnerMark";
import { eventually } from "./helpers";

export const LINUX = fs.existsSync("/proc/self/stat");

/**
 * How long a process may still run after the job that started it returned. The runner kills
 * what its job left before it answers, and its caller sweeps again when the runner ends and
 * SWEEP_AGAIN_MS after that; what remains is the kernel finishing a SIGKILL, for which a
 * second is ample even on a loaded machine.
 */
export const GONE_WITHIN_MS = SWEEP_AGAIN_MS + 1000;

/**
 * Still running: neither gone nor a zombie waiting for its reaper (init here may never reap).
 * The pid cannot have been reused within GONE_WITHIN_MS: that takes pid_max forks.
 */
export function running(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(")") + 2));
  } catch {
    return false;
  }
}

/**
 * Runs `job` with RL_ESCAPE_PIDS naming a fresh file (set before `job` starts any runner, so
 * runners inherit it); `job` gets a reader of the pids recorded so far.
 */
export async function withPidFile<T>(job: (pids: () => number[]) => Promise<T>): Promise<T> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rl-escape-"));
  const pidFile = path.join(dir, "pids");
  process.env.RL_ESCAPE_PIDS = pidFile;
  const pids = () => (fs.existsSync(pidFile) ? fs.readFileSync(pidFile, "utf8").trim().split("\n").map(Number) : []);
  try {
    return await job(pids);
  } finally {
    delete process.env.RL_ESCAPE_PIDS;
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

export async function assertAllGone(pids: number[]): Promise<void> {
  assert.ok(pids.length > 0, "the fixture started no process");
  const gone = await eventually(() => pids.every((pid) => !running(pid)), GONE_WITHIN_MS);
  assert.ok(gone, `still running ${GONE_WITHIN_MS} ms after the job ended: ${pids.filter(running).join(", ")}`);
}
