/**
 * CPU time of the calling thread. Placeholder until the sandbox's clock lands.
 */
import * as fs from "node:fs";
import { performance } from "node:perf_hooks";

let fd: number | null | undefined;
const buffer = Buffer.alloc(128);

/** CPU milliseconds the calling thread has run (Linux: /proc/thread-self/schedstat; elsewhere wall time). */
export function threadCpuMs(): number {
  if (fd === undefined) {
    try {
      fd = fs.openSync("/proc/thread-self/schedstat", "r");
    } catch {
      fd = null;
    }
  }
  if (fd === null) return performance.now();
  const bytes = fs.readSync(fd, buffer, 0, buffer.length, 0);
  return Number(buffer.toString("latin1", 0, bytes).split(" ")[0]) / 1e6;
}
