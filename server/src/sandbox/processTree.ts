/**
 * Processes user code may have started. The runner process leads its own process group
 * (it is spawned detached), so `execSync`/`spawn` children share its group and one
 * signal to the group ends them all. A child started with `detached: true` leaves the group
 * (it gets a session of its own); those are found by walking parent ids in /proc (Linux)
 * while the runner is still their parent, and killed one by one.
 */
import * as fs from "node:fs";

/** Every live descendant of `pid` (children first-level first), from /proc; [] where there is no /proc. */
export function descendants(pid: number): number[] {
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc");
  } catch {
    return [];
  }
  const children = new Map<number, number[]>();
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    const ppid = parentOf(Number(name));
    if (ppid === null) continue;
    const list = children.get(ppid) ?? [];
    list.push(Number(name));
    children.set(ppid, list);
  }
  const out: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const child of children.get(queue.shift() as number) ?? []) {
      out.push(child);
      queue.push(child);
    }
  }
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

function kill(target: number): void {
  try {
    process.kill(target, "SIGKILL");
  } catch {
    // Already gone, or not ours.
  }
}

/**
 * SIGKILL `pid`'s descendants (and the groups they lead), then, when `pid` leads a group,
 * the whole group, `pid` included (unless `keepRoot`).
 */
export function killTree(pid: number, options: { keepRoot?: boolean } = {}): void {
  const tree = descendants(pid);
  for (const child of tree) {
    kill(-child);
    kill(child);
  }
  if (!options.keepRoot) {
    kill(-pid);
    kill(pid);
  }
}
