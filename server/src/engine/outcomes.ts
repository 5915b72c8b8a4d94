/** A runner's failed outcome as diagnostics placed in the user's file. */
import type { Diagnostic } from "../protocol";
import { failureDiagnostic, findSourcePlaces, readSource } from "../check/diagnostics";
import type { RunnerOutcome } from "../sandbox/hostJobs";

/** Not the user's code: a bad setting, a forced backend that cannot load, or our own bug. */
export class EngineError extends Error {}

/** The diagnostics of a failed outcome; an engine error is thrown as `EngineError`. */
export function failureDiagnostics(outcome: RunnerOutcome<unknown>, file: string, contents?: string): Diagnostic[] {
  if (outcome.ok || "cancelled" in outcome) return [];
  if ("error" in outcome) throw new EngineError(outcome.error);
  const source = readSource(file, contents);
  const places = findSourcePlaces(file, source);
  return [outcome.failure, ...(outcome.failure.also ?? [])].map((f) => failureDiagnostic(f, file, source, places));
}
