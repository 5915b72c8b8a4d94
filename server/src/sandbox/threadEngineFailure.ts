/**
 * An error that reached the top of a job without being a `UserCodeError`: our bug, or the
 * user's code reaching into the engine. A file can replace a built-in the engine uses
 * (`Array.prototype.map = ...`), and the engine then fails where it calls it. When the
 * innermost frame of the stack is in the user's bundle, the user's code threw, whoever called
 * it; when it is not but the file changed a built-in, the change is the likeliest cause.
 * Either way it is `user-code-threw`, so the check ends in a diagnostic in the file.
 */
import type { BackendName } from "../protocol";
import type { BundleMap } from "./bundleMap";
import type { RunnerOutcome } from "./runnerMessages";

const ADVICE = "The engine runs in the same JavaScript realm as the file and relies on the built-ins: leave them as they are.";

/** The first "    at ..." line of a stack. */
function innermostFrame(stack: string): string | null {
  for (const line of stack.split("\n")) if (/^\s+at /.test(line)) return line;
  return null;
}

/**
 * @param changed what the file changed in the thread's built-ins (`threadLeftovers.ts`), or null.
 */
export function unexpectedErrorOutcome(
  error: unknown,
  map: BundleMap,
  changed: string | null,
  backend: BackendName | null,
): RunnerOutcome<unknown> {
  try {
    const isError = error instanceof Error;
    const text = isError ? `${error.name}: ${error.message}` : String(error);
    const stack = isError && typeof error.stack === "string" ? error.stack : "";
    const builtIn = changed?.endsWith(" was changed") || changed?.endsWith(" was deleted") ? changed : null;
    const top = innermostFrame(stack);
    const userPlace = top ? map.placeInStack(top) : undefined;
    if (userPlace)
      return {
        ok: false,
        backend,
        failure: {
          code: "user-code-threw",
          call: "none",
          place: userPlace,
          message: `the file's code threw ${text} when the engine called it${builtIn ? ` (${builtIn} by the file)` : ""}. ${ADVICE}`,
        },
      };
    if (builtIn)
      return {
        ok: false,
        backend,
        failure: {
          code: "user-code-threw",
          call: "none",
          message: `the engine failed (${text}) after the file's code changed a built-in: ${builtIn}. ${ADVICE}`,
        },
      };
    return { ok: false, error: isError ? error.message : text, backend };
  } catch {
    // The built-ins this needs are broken too: say what we can.
    return { ok: false, error: "the engine failed, and so did describing the failure (a built-in was replaced?)", backend };
  }
}
