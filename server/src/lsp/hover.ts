/** Hover on the reward function (or on `step` when there is no `reward` export): the probe's view of the reward. */
import { MarkupKind, type Hover, type Position } from "vscode-languageserver";
import type { Range } from "../protocol";
import type { StoredCheck } from "./documentChecks";
import { findSourcePlaces, rewardHoverMarkdown } from "./engine";

export function rewardHover(file: string, text: string, position: Position, check: StoredCheck | undefined): Hover | null {
  const places = findSourcePlaces(file, text);
  const target = places.rewardFunction ?? places.methods.step ?? null;
  if (!target || !contains(target, position)) return null;
  return { contents: { kind: MarkupKind.Markdown, value: hoverText(check) }, range: target };
}

function hoverText(check: StoredCheck | undefined): string {
  if (check?.summary) return rewardHoverMarkdown(check.summary);
  if (!check) return "**Reward statistics**: the probe has not run on this version yet.";
  if (check.staticOnly)
    return "**Reward statistics** appear when the workspace is trusted: the probe runs the file's code, which an untrusted workspace does not allow.";
  return "**Reward statistics**: none for this version; the probe did not run to the end (see the file's errors).";
}

function contains(r: Range, p: Position): boolean {
  const afterStart = p.line > r.start.line || (p.line === r.start.line && p.character >= r.start.character);
  const beforeEnd = p.line < r.end.line || (p.line === r.end.line && p.character <= r.end.character);
  return afterStart && beforeEnd;
}
