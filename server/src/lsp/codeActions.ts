/** The quick fixes of design §5 as LSP code actions (the edits themselves are in `quickFixes.ts`). */
import { CodeActionKind, type CodeAction, type Diagnostic as LspDiagnostic } from "vscode-languageserver";
import { SOURCE, type DiagnosticData } from "./lspDiagnostics";
import {
  episodesForSnr,
  EPISODES_PER_UPDATE_CAP,
  exportEnvironmentAsDefault,
  setEpisodesPerUpdate,
  setMeanBaseline,
  useThisRng,
  type TextEdit,
} from "./quickFixes";

export function quickFixActions(uri: string, text: string, diagnostics: LspDiagnostic[]): CodeAction[] {
  const actions: CodeAction[] = [];
  const add = (title: string, diagnostic: LspDiagnostic, edits: TextEdit[] | null) => {
    if (edits)
      actions.push({
        title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        isPreferred: true,
        edit: { changes: { [uri]: edits } },
      });
  };
  for (const d of diagnostics) {
    if (d.source !== SOURCE) continue;
    switch (d.code) {
      case "baseline-recommended":
        add('Set baseline: "mean" in the training export', d, setMeanBaseline(text));
        break;
      case "gradient-noise": {
        const noiseScale = (d.data as DiagnosticData | undefined)?.noiseScale;
        if (typeof noiseScale !== "number" || !Number.isFinite(noiseScale)) break;
        // At N = noiseScale the SNR is 1 (design §3: snr = N / noiseScale).
        const { episodes, capped } = episodesForSnr(noiseScale, 1);
        const note = capped
          ? ` (capped at ${EPISODES_PER_UPDATE_CAP}; the noise scale is ${Math.ceil(noiseScale)})`
          : " (the measured noise scale)";
        add(`Set episodesPerUpdate to ${episodes}${note}`, d, setEpisodesPerUpdate(text, episodes));
        break;
      }
      case "nondeterministic-reset":
        add("Use this.rng() instead of Math.random() in the environment", d, useThisRng(text));
        break;
      case "missing-environment":
        add("Add export default to the Environment class", d, exportEnvironmentAsDefault(text));
        break;
    }
  }
  return actions;
}
