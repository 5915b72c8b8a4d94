/**
 * Processes user code may have started. The runner process leads its own process group
 * (it is spawned detached), so `execSync`/`spawn` children share its group and one
 * signal to the group ends them all. A child started with `detached: true` leaves the group
 * (it gets a session of its own); those are found by walking parent ids in /proc (Linux)
 * while the runner is still their parent, and killed one by one.
 */
import * as fs from "node:fs";

/** Every live descendant of `pid`, nearest first, from /proc (Linux); [] where there is no /proc. */
export function descendants(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const child of childrenOf(queue.shift() as number)) {
      out.push(child);
      queue.push(child);
    }
  }
  return out;
}

/**
 * Direct children of `pid`: the kernel's per-thread `children` lists (a few small reads, so
 * cheap enough after every job), or, where the kernel does not provide them, a scan of every
 * process's parent id.
 */
function childrenOf(pid: number): number[] {
  let tasks: string[];
  try {
    tasks = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const task of tasks) {
    let list: string;
    try {
      list = fs.readFileSync(`/proc/${pid}/task/${task}/children`, "latin1");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT" && fs.existsSync(`/proc/${pid}/task/${task}`)) return scanChildren(pid);
      continue;
    }
    for (const child of list.split(" ")) if (child.trim()) out.push(Number(child));
  }
  return out;
}

function scanChildren(pid: number): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync("/proc")) if (/^\d+$/.test(name) && parentOf(Number(name)) === pid) out.push(Number(name));
  return out;
}

/** Field 4 of /proc/PID/stat; the command name (field 2) may hold spaces and parentheses. */
function parentOf(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return null;
  }
}

/** Still running: neither gone nor a zombie waiting for its parent to collect it. */
export function isRunning(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "latin1");
    return !/^[ZX]/.test(stat.slice(stat.lastIndexOf(")") + 2));
  } catch {
    return false;
  }
}

function kill(target: number): void {
  try {
    process.kill(target, "SIGKILL");
  } catch {
    // Already gone, or not ours.
  }
}

/**
 * SIGKILL `pid`'s descendants (and the groups they lead), then, when `pid` leads a group,
 * the whole group, `pid` included (unless `keepRoot`). Returns how many of the descendants
 * were still running (not zombies).
 */
export function killTree(pid: number, options: { keepRoot?: boolean } = {}): number {
  const tree = descendants(pid);
  const runningCount = tree.filter(isRunning).length;
  for (const child of tree) {
    kill(-child);
    kill(child);
  }
  if (!options.keepRoot) {
    kill(-pid);
    kill(pid);
  }
  return runningCount;
}
