/** Turning runner outcomes into diagnostics with places in the user's file. */
import * as fs from "node:fs";
import type { Diagnostic, DiagnosticCode, Range, Severity } from "../protocol";
import type { TranspileError } from "../sandbox/bundle";
import type { UserFailure } from "../rl/userCode";
import { findSourcePlaces, placeOfCall, type SourcePlaces } from "./sourcePlaces";

export const SEVERITY: Record<DiagnosticCode, Severity> = {
  "transpile-error": "error",
  "missing-environment": "error",
  "invalid-space": "error",
  "invalid-training": "error",
  "bad-reset": "error",
  "bad-step": "error",
  "observation-out-of-space": "error",
  "not-finite": "error",
  "user-code-threw": "error",
  "user-code-timeout": "error",
  "user-code-crashed": "error",
  "nondeterministic-reset": "warning",
  "never-terminates": "information",
  "slow-step": "information",
  "resource-limit": "error",
  "reward-constant": "warning",
  "reward-action-independent": "warning",
  "reward-sparse": "warning",
  "gradient-noise": "warning",
  "baseline-recommended": "information",
  "reward-term-dominates-variance": "information",
  "termination-incentive": "warning",
  "unreachable-threshold": "warning",
  "suppression-unused": "information",
  "shaping-changes-optimum": "information",
  "reward-term-inert": "information",
  "bad-render": "warning",
  "bad-close": "warning",
  "action-space-not-normalized": "information",
  "check-failed": "warning",
};

export function diagnostic(code: DiagnosticCode, message: string, file: string, range: Range): Diagnostic {
  return { code, severity: SEVERITY[code], message, file, range };
}

/** The text of the checked file: the editor's buffer when given, else the file on disk. */
export function readSource(file: string, text?: string): string {
  if (text !== undefined) return text;
  try {
    return fs.readFileSync(file, "utf8");
  } catch {
    return "";
  }
}

export function transpileDiagnostic(e: TranspileError): Diagnostic {
  const { line, character } = e.place;
  const message = /^Top-level await/.test(e.message)
    ? "top-level await is not supported: an environment file is loaded synchronously, so its top level cannot wait for a Promise. " +
      "Fix: load data synchronously (e.g. fs.readFileSync and JSON.parse), or compute it in reset(); a value that is only ready later cannot shape the environment."
    : /^Could not resolve/.test(e.message)
      ? `${e.message}: check the path or install the package (local files are bundled with the environment; "rl-playground" and Node's built-in modules are provided)`
      : e.message;
  return diagnostic("transpile-error", `the file does not compile: ${message}`, e.place.file, {
    start: { line, character },
    end: { line, character: character + Math.max(e.length, 1) },
  });
}

/** A user failure placed on the throwing line when known, else on the function that was running. */
export function failureDiagnostic(f: UserFailure, file: string, source: string, places: SourcePlaces): Diagnostic {
  const d = placedFailure(f, file, source, places);
  if (!f.episode) return d;
  const e = f.episode;
  const actions =
    e.actions.length <= 20
      ? JSON.stringify(e.actions)
      : `${JSON.stringify(e.actions.slice(0, 20)).slice(0, -1)}, … (${e.actions.length} in all)]`;
  return {
    ...d,
    message:
      `${/[.!?]$/.test(d.message) ? d.message : `${d.message}.`} The episode that leads here: reset(seed=${e.seed}), then the actions ${actions}` +
      (e.actions.length < e.shrunkFrom ? ` (shrunk from ${e.shrunkFrom}: without any one of them it does not fail).` : "."),
    episode: e,
  };
}

function placedFailure(f: UserFailure, file: string, source: string, places: SourcePlaces): Diagnostic {
  if (f.place) {
    const { line, character } = f.place;
    const text = (f.place.file === file ? source : readSource(f.place.file)).split("\n")[line] ?? "";
    const indent = text.length - text.trimStart().length;
    return diagnostic(f.code, f.message, f.place.file, {
      start: { line, character: Math.min(character, indent) },
      end: { line, character: Math.max(text.trimEnd().length, character + 1) },
    });
  }
  return diagnostic(f.code, f.message, file, placeOfFailure(f, places));
}

/**
 * Without a stack frame: the property or member at fault, the `throw` of a thrown string,
 * the loop of a load that never returned, else the function that was running.
 */
function placeOfFailure(f: UserFailure, places: SourcePlaces): Range {
  const property = f.member === "training" && f.property !== undefined ? places.trainingProperties[f.property] : undefined;
  const member = f.member && places.members[f.member];
  // Own keys only: `throw "toString"` must not find Object.prototype.toString.
  const thrown =
    f.thrownText !== undefined && Object.hasOwn(places.thrownStrings, f.thrownText) ? places.thrownStrings[f.thrownText] : undefined;
  const loop = f.call === "load" && f.code === "user-code-timeout" ? places.loadLoops[0] : undefined;
  return property ?? member ?? thrown ?? loop ?? placeOfCall(places, f.call);
}

export { findSourcePlaces };
