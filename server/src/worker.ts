/**
 * The runner: a worker thread that loads TensorFlow.js and a user's environment, then
 * trains or probes it. User code only ever runs here; the caller watches the guard
 * buffer and terminates this thread when a call does not return in time.
 */
import { parentPort, workerData } from "node:worker_threads";
import { CallGuard } from "./sandbox/callGuard";
import { UserCodeError } from "./sandbox/failure";
import type { RunnerInput, RunnerMessage } from "./sandbox/messages";
import { loadUserModule } from "./sandbox/userModule";
import { selectBackend } from "./rl/backend";
import { train } from "./rl/train";
import { ProbeCancelled, probe } from "./rl/probe";

const input = workerData as RunnerInput;
const post = (message: RunnerMessage) => parentPort?.postMessage(message);

async function run(): Promise<void> {
  const backend = await selectBackend(input.backend);
  post({ type: "backend", backend });
  const guard = new CallGuard(input.guard);
  const user = loadUserModule(input.bundle, guard);
  const job = input.job;
  if (job.kind === "train") {
    const summary = await train(user, guard, {
      overrides: job.overrides,
      backend,
      runDir: job.runDir,
      continueAfterSolved: job.continueAfterSolved,
      onProgress: (metrics) => post({ type: "progress", metrics }),
    });
    post({ type: "trained", summary });
  } else {
    post({ type: "probed", report: probe(user, guard, job.probe) });
  }
}

run().catch((error: unknown) => {
  if (error instanceof UserCodeError) post({ type: "failed", failure: error.failure });
  else if (error instanceof ProbeCancelled) post({ type: "cancelled" });
  else post({ type: "error", message: error instanceof Error ? error.message : String(error), stack: error instanceof Error ? error.stack : undefined });
});
