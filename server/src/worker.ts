/**
 * The runner: a worker thread that loads TensorFlow.js and a user's environment, then
 * trains or probes it. User code only ever runs here; the caller watches the guard
 * buffer and terminates this thread when a call does not return in time.
 */
import * as fs from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import { CallGuard } from "./sandbox/callGuard";
import { UserCodeError } from "./sandbox/failure";
import type { RunnerJobMessage, RunnerMessage, RunnerStart } from "./sandbox/messages";
import { loadUserModule } from "./sandbox/userModule";
import { selectBackend } from "./rl/backend";
import { train } from "./rl/train";
import { ProbeCancelled, probe } from "./rl/probe";

const start = workerData as RunnerStart;
const post = (message: RunnerMessage) => parentPort?.postMessage(message);

/** The first (and only) job; the thread can start and load its backend before it arrives. */
const nextJob = new Promise<RunnerJobMessage>((resolve) => parentPort?.once("message", resolve));

async function run(): Promise<void> {
  const backend = await selectBackend(start.backend);
  post({ type: "backend", backend });
  const { bundle, job } = await nextJob;
  const guard = new CallGuard(start.guard, start.traceFile === undefined ? undefined : fs.openSync(start.traceFile, "a"));
  const user = loadUserModule(bundle, guard);
  if (job.kind === "train") {
    const summary = await train(user, guard, {
      overrides: job.overrides,
      backend,
      runDir: job.runDir,
      continueAfterSolved: job.continueAfterSolved,
      onProgress: (metrics) => post({ type: "progress", metrics }),
      onHeartbeat: (heartbeat) => post({ type: "heartbeat", heartbeat }),
    });
    await user.settled();
    post({ type: "trained", summary });
  } else {
    const report = probe(user, guard, job.probe);
    await user.settled();
    post({ type: "probed", report });
  }
}

run().catch((error: unknown) => {
  if (error instanceof UserCodeError) post({ type: "failed", failure: error.failure });
  else if (error instanceof ProbeCancelled) post({ type: "cancelled" });
  else
    post({
      type: "error",
      message: error instanceof Error ? error.message : String(error),
      stack: error instanceof Error ? error.stack : undefined,
    });
});
