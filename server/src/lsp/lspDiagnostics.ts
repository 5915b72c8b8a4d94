/** Engine diagnostics (0-based ranges, an absolute `file`) as LSP diagnostics, grouped by the URI they belong to. */
import { URI } from "vscode-uri";
import { DiagnosticSeverity, type Diagnostic as LspDiagnostic } from "vscode-languageserver";
import type { Diagnostic, FailingEpisode, Severity } from "../protocol";

export const SOURCE = "rl-playground";

/** What a quick fix needs back from a diagnostic (it returns in the code action request's context). */
export interface DiagnosticData {
  /** The measured gradient noise scale, for `gradient-noise`. */
  noiseScale?: number | null;
  /** Its 95% interval; the upper end is null when the interval is unbounded (JSON has no Infinity). */
  noiseScaleInterval?: [number, number | null] | null;
  /** The episode that leads to a failure found while sampling, for "Replay failing episode". */
  episode?: FailingEpisode;
  /** With `episode`, on a diagnostic placed in an imported file: the URI of the environment file the episode runs. */
  environment?: string;
}

const SEVERITY: Record<Severity, DiagnosticSeverity> = {
  error: DiagnosticSeverity.Error,
  warning: DiagnosticSeverity.Warning,
  information: DiagnosticSeverity.Information,
  hint: DiagnosticSeverity.Hint,
};

/** Opens the settings editor at `rlPlayground.backend` (a command link: VS Code opens it from the diagnostic's code). */
export const BACKEND_SETTING_LINK = `command:workbench.action.openSettings?${encodeURIComponent(JSON.stringify(["rlPlayground.backend"]))}`;

export function toLspDiagnostic(d: Diagnostic, data: DiagnosticData = {}): LspDiagnostic {
  const lsp: LspDiagnostic = { range: d.range, severity: SEVERITY[d.severity], code: d.code, source: SOURCE, message: d.message, data };
  // A check that failed for the backend setting links its code to that setting.
  if (d.code === "check-failed" && d.message.includes("rlPlayground.backend")) lsp.codeDescription = { href: BACKEND_SETTING_LINK };
  return lsp;
}

/**
 * Diagnostics by the URI of the file they are placed in (a locally imported file gets its
 * own). The checked document keeps the URI its client sent (clients encode differently).
 */
export function byUri(
  diagnostics: Diagnostic[],
  document: { uri: string; path: string },
  data: (d: Diagnostic) => DiagnosticData,
): Map<string, LspDiagnostic[]> {
  const out = new Map<string, LspDiagnostic[]>([[document.uri, []]]);
  for (const d of diagnostics) {
    const uri = d.file === document.path ? document.uri : URI.file(d.file).toString();
    const list = out.get(uri) ?? [];
    list.push(toLspDiagnostic(d, data(d)));
    out.set(uri, list);
  }
  return out;
}

/** The file system path of a `file:` URI; null for other schemes (untitled buffers, remote files). */
export function uriToPath(uri: string): string | null {
  try {
    const parsed = URI.parse(uri, true);
    return parsed.scheme === "file" ? parsed.fsPath : null;
  } catch {
    return null;
  }
}
