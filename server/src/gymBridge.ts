/**
 * `node dist/gym-bridge.js '<json>'`: the Node process behind one environment (or one vector
 * environment) of the Python package `rl_playground`. It bundles the user's file and runs it
 * in a runner process exactly as a check or a training does (`sandbox/hostProcess.ts`: the
 * watchdog on every user call, the memory limit, the crash report), with the `gym` job
 * (`sandbox/threadGymServe.ts`), which then talks to Python directly through two FIFOs.
 *
 * This process only watches. Its stdout carries one JSON line when the job ends: why, and
 * for a failure in user code its diagnostic code and place in the user's file, which Python
 * raises as an exception. Python keeps this process's stdin open for its whole life: end of
 * file there means Python is gone, and the runner is killed with everything it started.
 */
import * as path from "node:path";
import { EngineError, failureDiagnostics } from "./engine/outcomes";
import type { BackendName } from "./protocol";
import { bundleEnvironment } from "./sandbox/bundle";
import type { GymServeRequest, GymServeSummary } from "./sandbox/threadGymServe";
import { ProcessRunner } from "./sandbox/hostProcess";
import type { RunnerOutcome } from "./sandbox/runnerMessages";
import { DEFAULT_CALL_TIMEOUT_MS, DEFAULT_MEMORY_LIMIT_MB } from "./sandbox/runnerShared";

interface BridgeStart extends GymServeRequest {
  file: string;
  callTimeoutMs?: number;
  memoryLimitMb?: number;
}

/** The one line this process prints: how the job ended. Lines and columns are 1-based, as editors show them. */
export type BridgeEnd =
  | { type: "closed"; resets: number; steps: number }
  | { type: "error"; code: string; message: string; call: string | null; file: string | null; line: number | null; column: number | null }
  | { type: "stopped"; message: string };

let runner: ProcessRunner | null = null;
let ending = false;

/** Prints the end, kills the runner (and whatever user code started), exits once the line is written. */
function end(result: BridgeEnd, code: number): void {
  if (ending) return;
  ending = true;
  runner?.terminate();
  process.stdout.write(JSON.stringify(result) + "\n", () => process.exit(code));
}

async function main(): Promise<void> {
  const start = JSON.parse(process.argv[2] ?? "{}") as BridgeStart;
  // Python went away (exited or killed): nothing to report to, nothing to leave behind.
  process.stdin.on("end", () => end({ type: "stopped", message: "Python closed the bridge" }, 0));
  process.stdin.on("error", () => end({ type: "stopped", message: "Python closed the bridge" }, 0));
  process.stdin.resume();

  const file = path.resolve(start.file);
  const bundled = await bundleEnvironment(file);
  if (!bundled.ok) {
    const e = bundled.errors[0];
    end(
      {
        type: "error",
        code: "transpile-error",
        message: e.message,
        call: "load",
        file: e.place.file,
        line: e.place.line + 1,
        column: e.place.character + 1,
      },
      1,
    );
    return;
  }
  runner = new ProcessRunner("cpu", start.memoryLimitMb ?? DEFAULT_MEMORY_LIMIT_MB);
  const job = { kind: "gym" as const, gym: { numEnvs: start.numEnvs, requestPath: start.requestPath, replyPath: start.replyPath } };
  const running = runner.start<GymServeSummary>(bundled.bundle, job, { callTimeoutMs: start.callTimeoutMs ?? DEFAULT_CALL_TIMEOUT_MS });
  const outcome = await running.outcome;
  if (outcome.ok) end({ type: "closed", ...outcome.value }, 0);
  else end(failureEnd(outcome, file), 1);
}

function failureEnd(outcome: Exclude<RunnerOutcome<GymServeSummary>, { ok: true }>, file: string): BridgeEnd {
  if ("cancelled" in outcome) return { type: "stopped", message: "the runner was stopped" };
  if ("error" in outcome)
    return { type: "error", code: "engine-error", message: outcome.error, call: null, file: null, line: null, column: null };
  const failure = outcome.failure;
  let diagnostic;
  try {
    diagnostic = failureDiagnostics(outcome as RunnerOutcome<unknown> & { backend: BackendName | null }, file)[0];
  } catch (error) {
    if (!(error instanceof EngineError)) throw error;
  }
  // The throwing line and column when the stack gave them; else where the diagnostic is placed
  // (the function that was running, the property at fault).
  const place = failure.place
    ? { file: failure.place.file, line: failure.place.line + 1, column: failure.place.character + 1 }
    : diagnostic
      ? { file: diagnostic.file, line: diagnostic.range.start.line + 1, column: diagnostic.range.start.character + 1 }
      : { file, line: null, column: null };
  return { type: "error", code: failure.code, message: failure.message, call: failure.call, ...place };
}

main().catch((error: unknown) =>
  end(
    {
      type: "error",
      code: "engine-error",
      message: `the bridge failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
      call: null,
      file: null,
      line: null,
      column: null,
    },
    1,
  ),
);
