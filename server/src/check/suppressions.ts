/**
 * Suppression comments, the way linters do them (design §5):
 *
 *   // rl-playground-ignore reward-sparse: the goal is reached by design
 *
 * on the line above a diagnostic's place silences that code there; in the comments at the top
 * of the file (before its first statement) it silences the code in the whole file. The reason
 * after the colon is required: without one the comment silences nothing and says so. A
 * suppression that silences nothing is itself reported (`suppression-unused`), so stale ones
 * do not pile up.
 */
import { SUPPRESSION_PREFIX, type Diagnostic, type Range } from "../protocol";
import { diagnostic } from "./diagnostics";

const COMMENT = /^(\s*)\/\/\s*rl-playground-ignore\s+([a-z][a-z-]*)\s*(?::\s*(.*?))?\s*$/;

export interface Suppression {
  code: string;
  reason: string;
  /** 0-based line of the comment. */
  line: number;
  range: Range;
  /** In the comments before the file's first statement: the whole file. */
  wholeFile: boolean;
}

export function findSuppressions(text: string): Suppression[] {
  const out: Suppression[] = [];
  let header = true;
  let inBlock = false;
  text.split("\n").forEach((raw, line) => {
    const l = raw.replace(/\r$/, "");
    const m = COMMENT.exec(l);
    if (m) {
      out.push({
        code: m[2],
        reason: m[3] ?? "",
        line,
        range: { start: { line, character: m[1].length }, end: { line, character: l.length } },
        wholeFile: header,
      });
      return;
    }
    // The header ends at the first line that is not blank and not a comment.
    const t = l.trim();
    if (inBlock) {
      if (t.includes("*/")) inBlock = false;
      return;
    }
    if (t === "" || t.startsWith("//")) return;
    if (t.startsWith("/*")) {
      inBlock = !t.includes("*/");
      return;
    }
    header = false;
  });
  return out;
}

/**
 * The diagnostics of `file` minus the suppressed ones, plus one `suppression-unused` for each
 * suppression that silenced nothing (or has no reason). Diagnostics placed in other files
 * (imports) are kept: their suppressions live in those files.
 */
export function applySuppressions(diagnostics: Diagnostic[], file: string, text: string): Diagnostic[] {
  const suppressions = findSuppressions(text);
  if (!suppressions.length) return diagnostics;
  const used = new Set<Suppression>();
  const kept = diagnostics.filter((d) => {
    if (d.file !== file) return true;
    const match = suppressions.find((s) => s.reason !== "" && s.code === d.code && (s.wholeFile || s.line === d.range.start.line - 1));
    if (!match) return true;
    used.add(match);
    return false;
  });
  for (const s of suppressions) {
    if (used.has(s)) continue;
    const message =
      s.reason === ""
        ? `this ${SUPPRESSION_PREFIX} comment has no reason, so it silences nothing: say why after a colon (// ${SUPPRESSION_PREFIX} ${s.code}: why it does not apply here).`
        : s.wholeFile
          ? `no ${s.code} diagnostic in this file: this ${SUPPRESSION_PREFIX} comment silences nothing. Remove it.`
          : `no ${s.code} diagnostic on the next line: this ${SUPPRESSION_PREFIX} comment silences nothing. Remove it, or move it to the line above the diagnostic.`;
    kept.push(diagnostic("suppression-unused", message, file, s.range));
  }
  return kept;
}
