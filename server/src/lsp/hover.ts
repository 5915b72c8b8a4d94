/** Hover on the reward function (or on `step` when there is no `reward` export): the probe's view of the reward. */
import { MarkupKind, type Hover, type Position } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import type { Range } from "../protocol";
import type { StoredCheck } from "./documentChecks";
import { findSourcePlaces, rewardHoverMarkdown, type SourcePlaces } from "./engineCalls";
import { uriToPath } from "./lspDiagnostics";

/** Source places per document version: a hover does not parse the file again. */
export class DocumentPlaces {
  private readonly cache = new Map<string, { version: number; places: SourcePlaces }>();

  of(doc: TextDocument): SourcePlaces {
    const hit = this.cache.get(doc.uri);
    if (hit?.version === doc.version) return hit.places;
    const places = findSourcePlaces(uriToPath(doc.uri) ?? doc.uri, doc.getText());
    this.cache.set(doc.uri, { version: doc.version, places });
    return places;
  }

  forget(uri: string): void {
    this.cache.delete(uri);
  }
}

export function rewardHover(places: SourcePlaces, position: Position, check: StoredCheck | undefined): Hover | null {
  const target = places.rewardFunction ?? places.methods.step ?? null;
  if (!target || !contains(target, position)) return null;
  return { contents: { kind: MarkupKind.Markdown, value: hoverText(check) }, range: target };
}

function hoverText(check: StoredCheck | undefined): string {
  if (check?.summary) return rewardHoverMarkdown(check.summary);
  if (!check) return "**Reward statistics**: the probe has not run on this version yet.";
  if (check.staticOnly)
    return "**Reward statistics** appear when the workspace is trusted: the probe runs the file's code, which an untrusted workspace does not allow.";
  if (check.measuring)
    return "**Reward statistics**: measuring… The probe is still running its fixed sample of episodes on this version; the numbers and the warnings that rest on them come when it is done. The errors shown already are certain.";
  return "**Reward statistics**: none for this version; the probe did not run to the end (an error in the file, or an edit or a setting change stopped it).";
}

function contains(r: Range, p: Position): boolean {
  const afterStart = p.line > r.start.line || (p.line === r.start.line && p.character >= r.start.character);
  const beforeEnd = p.line < r.end.line || (p.line === r.end.line && p.character <= r.end.character);
  return afterStart && beforeEnd;
}
