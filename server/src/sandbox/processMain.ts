/**
 * The runner process: hosts one runner thread (started at once, so a pool can keep it
 * warm) and serves its parent's jobs one after another, relaying progress and the user
 * function being run. After every job it kills any process user code started (in its group,
 * under it, or anywhere with its mark, see `runnerMark.ts`); after a job the thread cannot
 * survive (a time-out, a crash, a stop, something left behind, a process included) it exits,
 * and its parent starts a fresh runner. If user code kills this process, the parent reports
 * it and kills what carries the mark.
 */
import { killTree } from "./runnerProcessTree";
import { killMarked, lastPid } from "./runnerMark";
import type { ProcessMessage, ProcessRequest, ProcessStart } from "./runnerMessages";
import { ThreadRunner } from "./processThread";

const start = JSON.parse(process.argv[2] ?? "{}") as ProcessStart;
const runner = new ThreadRunner(start.backend, start.memoryLimitMb, start.traceFile);
let controller = new AbortController();
const send = (m: ProcessMessage, then: () => void = () => undefined) => process.send?.(m, then);

/** Ends this process and everything user code started (this process leads its own group). */
function exitWithTree(): never {
  killMarked(start.mark, { except: process.pid });
  killTree(process.pid);
  process.exit(0);
}

process.on("message", async (request: ProcessRequest) => {
  if (request.type === "cancel") {
    controller.abort();
    return;
  }
  controller = new AbortController();
  const before = lastPid();
  const end = await runner.run(request.bundle, request.job, {
    callTimeoutMs: request.callTimeoutMs,
    signal: controller.signal,
    onMessage: (m) => send(m),
    onCall: (call, runningMs) => send({ type: "call", call, runningMs }),
  });
  // A process the job left running retires the runner, though it is killed now: one forked
  // while the kill ran would still carry the mark, and only the sweeps at the runner's end
  // look for it again.
  const left = killMarked(start.mark, { except: process.pid, since: before }) + killTree(process.pid, { keepRoot: true });
  const reusable = end.reusable && left === 0;
  send({ type: "done", outcome: end.outcome, clean: reusable }, () => {
    if (!reusable) exitWithTree();
  });
});

// Orphaned (the parent went away): nothing to report to, nothing to leave behind.
process.on("disconnect", exitWithTree);
// Ctrl-C in a terminal signals the terminal's process group, which this one is not; should
// it come anyway, the parent owns cancellation (it asks for a stop, so a run still saves).
process.on("SIGINT", () => undefined);
