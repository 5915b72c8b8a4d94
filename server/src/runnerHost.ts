/**
 * The runner process: hosts one runner thread (started at once, so a pool can keep it
 * warm), runs the one job its parent sends, relays progress and the user function being
 * run, sends the outcome and exits. If user code kills this process, the parent reports it.
 */
import type { HostMessage, HostRequest, HostStart } from "./sandbox/messages";
import { ThreadRunner } from "./sandbox/threadRunner";

const start = JSON.parse(process.argv[2] ?? "{}") as HostStart;
const runner = new ThreadRunner(start.backend, start.memoryLimitMb, start.traceFile);
const controller = new AbortController();
const send = (m: HostMessage) => process.send?.(m);

process.on("message", async (request: HostRequest) => {
  if (request.type === "cancel") {
    controller.abort();
    return;
  }
  const outcome = await runner.run(request.bundle, request.job, {
    callTimeoutMs: request.callTimeoutMs,
    signal: controller.signal,
    onBackend: (backend) => send({ type: "backend", backend }),
    onProgress: (metrics) => send({ type: "progress", metrics }),
    onHeartbeat: (heartbeat) => send({ type: "heartbeat", heartbeat }),
    onCall: (call, runningMs) => send({ type: "call", call, runningMs }),
  });
  process.send?.({ type: "outcome", outcome } satisfies HostMessage, () => process.exit(0));
});

// Orphaned (the parent went away): nothing to report to.
process.on("disconnect", () => process.exit(0));
// Ctrl-C in a terminal signals the whole process group: the parent owns cancellation (it
// asks for a stop, so the run still saves its policy and summary).
process.on("SIGINT", () => undefined);
