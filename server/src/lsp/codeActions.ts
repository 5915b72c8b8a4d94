/** The quick fixes of design §5 as LSP code actions (the edits themselves are in `quickFixes.ts`). */
import { CodeActionKind, type CodeAction, type Diagnostic as LspDiagnostic } from "vscode-languageserver";
import { ServerCommands } from "../protocol";
import { SOURCE, type DiagnosticData } from "./lspDiagnostics";
import {
  addSuppression,
  episodesForSnr,
  EPISODES_PER_UPDATE_CAP,
  exportEnvironmentAsDefault,
  renameTrainingKey,
  setEpisodesPerUpdate,
  setMeanBaseline,
  useThisRng,
  type TextEdit,
} from "./quickFixes";

/** A file that does not compile, a failed check, or a suppression itself: nothing to silence. */
const UNSUPPRESSIBLE = new Set(["transpile-error", "check-failed", "suppression-unused"]);

export function quickFixActions(uri: string, text: string, diagnostics: LspDiagnostic[]): CodeAction[] {
  const actions: CodeAction[] = [];
  const add = (title: string, diagnostic: LspDiagnostic, edits: TextEdit[] | null, isPreferred = true) => {
    if (edits)
      actions.push({
        title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [diagnostic],
        isPreferred,
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
        const data = d.data as DiagnosticData | undefined;
        const noiseScale = data?.noiseScale;
        if (typeof noiseScale !== "number" || !Number.isFinite(noiseScale)) break;
        // The number comes with its 95% interval (design §3): "64 episodes (40–110)".
        const range = Array.isArray(data?.noiseScaleInterval)
          ? `, 95% interval ${Math.ceil(data.noiseScaleInterval[0])}–${data.noiseScaleInterval[1] === null ? "∞" : Math.ceil(data.noiseScaleInterval[1])}`
          : "";
        // SNR = N / noiseScale (design §3). N = noiseScale balances signal and noise (SNR 1,
        // design §5's fix, preferred); the noise scale is itself measured with an error of
        // tens of percent, so a second fix doubles it (SNR about 2) to clear the warning's threshold.
        for (const [targetSnr, preferred] of [
          [1, true],
          [2, false],
        ] as const) {
          const { episodes, capped } = episodesForSnr(noiseScale, targetSnr);
          const why = capped
            ? `capped at ${EPISODES_PER_UPDATE_CAP}; the noise scale is ${round(noiseScale)}${range}`
            : targetSnr === 1
              ? `the measured noise scale${range}, SNR about 1`
              : `twice the noise scale ${round(noiseScale)}, SNR about 2`;
          add(`Set episodesPerUpdate to ${episodes} (${why})`, d, setEpisodesPerUpdate(text, episodes), preferred);
          if (capped) break;
        }
        break;
      }
      case "nondeterministic-reset":
        add("Use this.rng() instead of Math.random() in the environment", d, useThisRng(text));
        break;
      case "missing-environment":
        add("Add export default to the Environment class", d, exportEnvironmentAsDefault(text));
        break;
      case "invalid-training": {
        // A typo of a setting: the message names the closest one ("did you mean policy.hidden?").
        const near = /did you mean ([\w.]+)\?/.exec(typeof d.message === "string" ? d.message : "")?.[1];
        const name = near?.split(".").pop();
        if (name) add(`Rename to ${name}`, d, renameTrainingKey(text, d.range, name));
        break;
      }
    }
  }
  // A failure found while sampling: replay its episode, step by step, into the output channel.
  for (const d of diagnostics) {
    const episode = (d.data as DiagnosticData | undefined)?.episode;
    if (d.source === SOURCE && episode)
      actions.push({
        title: `Replay failing episode (${episode.actions.length} action${episode.actions.length === 1 ? "" : "s"} from seed ${episode.seed})`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [d],
        command: { title: "Replay failing episode", command: ServerCommands.replayEpisode, arguments: [uri, episode] },
      });
  }
  // Last: silencing a diagnostic comes after every fix of its cause.
  for (const d of diagnostics)
    if (d.source === SOURCE && typeof d.code === "string" && !UNSUPPRESSIBLE.has(d.code))
      add(`Ignore ${d.code} here (rl-playground-ignore, with a reason)`, d, addSuppression(text, d.range, d.code), false);
  return actions;
}

function round(x: number): string {
  return Number(x.toPrecision(3)).toString();
}
