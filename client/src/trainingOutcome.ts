/**
 * What the user is told when a training ends (solved, stopped, out of budget, failed), as pure
 * text (no `vscode`, so unit tests import it): the notification's words and how loud it is.
 */
import type { TrainingEndedParams } from "../../server/src/protocol";

export interface OutcomeNotice {
  severity: "information" | "warning" | "error";
  text: string;
}

export function outcomeNotice(p: TrainingEndedParams): OutcomeNotice {
  const name = p.summary?.environment ?? decodeURIComponent(p.uri.slice(p.uri.lastIndexOf("/") + 1)).replace(/\.rl\.ts$/, "");
  const s = p.summary;
  const after = s ? ` after ${s.episodes} episodes (mean return of the last 100: ${formatReturn(s.meanReturn100)})` : "";
  const seed = p.groupId && s ? ` (seed ${s.seed})` : "";
  switch (p.reason) {
    case "solved":
      return { severity: "information", text: `${name}${seed} is solved${after}.` };
    case "budget":
      return { severity: "warning", text: `${name}${seed} spent its episode budget without being solved${after}.` };
    case "stopped":
      return {
        severity: "information",
        text: `${name}${seed}: ${p.message ?? "training was stopped"}${s ? after : "; nothing was saved"}.`,
      };
    case "error":
      return {
        severity: "error",
        text: `Training ${name}${seed} failed: ${(p.message ?? "see the output channel").replace(/[.\s]+$/, "")}.`,
      };
  }
}

function formatReturn(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(0) : Number(x.toPrecision(3)).toString();
}
