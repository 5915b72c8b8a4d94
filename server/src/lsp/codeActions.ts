/** The quick fixes of design §5 as LSP code actions (the edits themselves are in `sourceEdits.ts`). */
import { CodeActionKind, type CodeAction, type Command, type Diagnostic as LspDiagnostic } from "vscode-languageserver";
import { ClientCommands, ServerCommands, type DebugEpisodeTarget, type DiagnosticCode, type Range } from "../protocol";
import { SOURCE, uriToPath, type DiagnosticData } from "./lspDiagnostics";
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
} from "./sourceEdits";

/** A file that does not compile, a failed check, or a suppression itself: nothing to silence. */
const UNSUPPRESSIBLE = new Set(["transpile-error", "check-failed", "suppression-unused"]);

export function quickFixActions(uri: string, text: string, diagnostics: LspDiagnostic[]): CodeAction[] {
  // Each fix with what it costs the user's training: a mean baseline, a renamed key or a seeded
  // reset cost nothing, a bigger batch costs its episodes on every update. The cheapest fix
  // is listed first whichever diagnostic it answers (the sort is stable: equal costs keep
  // the diagnostics' order).
  const fixes: Array<{ action: CodeAction; cost: number }> = [];
  const add = (title: string, diagnostic: LspDiagnostic, edits: TextEdit[] | null, isPreferred = true, cost = 0) => {
    if (edits)
      fixes.push({
        cost,
        action: {
          title,
          kind: CodeActionKind.QuickFix,
          diagnostics: [diagnostic],
          isPreferred,
          edit: { changes: { [uri]: edits } },
          command: revealCommand(uri, edits),
        },
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
          add(`Set episodesPerUpdate to ${episodes} (${why})`, d, setEpisodesPerUpdate(text, episodes), preferred, episodes);
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
  const actions = fixes.sort((a, b) => a.cost - b.cost).map((f) => f.action);
  // A failure found while sampling: replay its episode, step by step, into the output channel,
  // or in a debug session (the client's) that stops on the diagnostic's line.
  const file = uriToPath(uri);
  for (const d of diagnostics) {
    const data = d.data as DiagnosticData | undefined;
    const episode = data?.episode;
    if (d.source !== SOURCE || !episode) continue;
    // A failure placed in an imported file is replayed on the environment that imports it.
    const environment = data?.environment ?? uri;
    const what = `${episode.actions.length} action${episode.actions.length === 1 ? "" : "s"} from seed ${episode.seed}`;
    actions.push({
      title: `Replay failing episode (${what})`,
      kind: CodeActionKind.QuickFix,
      diagnostics: [d],
      command: { title: "Replay failing episode", command: ServerCommands.replayEpisode, arguments: [environment, episode] },
    });
    if (file && typeof d.code === "string") {
      const target: DebugEpisodeTarget = { code: d.code as DiagnosticCode, file, line: d.range.start.line };
      actions.push({
        title: `Debug failing episode (${what})`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [d],
        command: { title: "Debug failing episode", command: ClientCommands.debugEpisode, arguments: [environment, episode, target] },
      });
    }
  }
  // Last: silencing a diagnostic comes after every fix of its cause.
  for (const d of diagnostics) {
    if (d.source !== SOURCE || typeof d.code !== "string" || UNSUPPRESSIBLE.has(d.code)) continue;
    const edits = addSuppression(text, d.range, d.code);
    if (edits)
      actions.push({
        title: `Ignore ${d.code} here (rl-playground-ignore, with a reason)`,
        kind: CodeActionKind.QuickFix,
        diagnostics: [d],
        isPreferred: false,
        edit: { changes: { [uri]: edits } },
        command: revealCommand(uri, edits),
      });
  }
  return actions;
}

/**
 * The client scrolls to the first edit once it is applied: a fix of a diagnostic in the class
 * may change the `training` export far below it. The range is where the edit's new text
 * lies after the edit (an earlier edit is not moved by later ones).
 */
function revealCommand(uri: string, edits: TextEdit[]): Command {
  const first = edits.reduce((a, b) => (comparePositions(b.range.start, a.range.start) < 0 ? b : a));
  const lines = first.newText.split("\n");
  const start = first.range.start;
  const end =
    lines.length === 1
      ? { line: start.line, character: start.character + lines[0]!.length }
      : { line: start.line + lines.length - 1, character: lines[lines.length - 1]!.length };
  const range: Range = { start, end };
  return { title: "Reveal the edit", command: ClientCommands.revealRange, arguments: [uri, range] };
}

function comparePositions(a: Range["start"], b: Range["start"]): number {
  return a.line - b.line || a.character - b.character;
}

function round(x: number): string {
  return Number(x.toPrecision(3)).toString();
}
