/**
 * One status bar item: the running training's progress ("$(pulse) RL: update 12 · 87.3", the
 * mean return over the last 100 episodes), else "RL: measuring…" while a check's statistics
 * are still being measured, else the backend the server uses; the backend, the files being
 * measured and the server's last status line in the tooltip; a click opens the dashboard.
 */
import * as path from "node:path";
import * as vscode from "vscode";
import type { BackendName, StatusParams } from "../../server/src/protocol";
import { escapeMarkdown, serverTooltipLines } from "./statusTooltip";
import type { RunningTraining, TrainingRuns } from "./trainingRuns";

export type ServerState = "starting" | "running" | "stopped";

export class TrainingStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem("rlPlayground.status", vscode.StatusBarAlignment.Left, 10);
  private readonly subscription: vscode.Disposable;
  private backend: BackendName | null = null;
  /** The active file's backend line, as the server worded it (the status that carried `backend`). */
  private backendMessage: string | null = null;
  /** The server's last other message (trust, a failure): shown beside the backend line, never instead. */
  private serverMessage: string | null = null;
  /** The backend the settings force cannot load: the checks fail until the setting changes. */
  private backendProblem: string | null = null;
  /** URIs of the documents the server is still measuring (its whole list, from each status). */
  private measuring: string[] = [];
  private serverState: ServerState = "starting";

  constructor(private readonly runs: TrainingRuns) {
    this.item.name = "RL Playground";
    this.subscription = runs.onDidChange(() => this.render());
    this.render();
  }

  status(p: StatusParams): void {
    if (p.backend !== undefined) {
      this.backend = p.backend;
      this.backendMessage = p.message;
    } else this.serverMessage = p.message;
    this.backendProblem = p.backendProblem ?? null;
    this.measuring = p.measuring ?? [];
    this.render();
  }

  /** The item shows from the server's first start on: a TypeScript workspace without environments sees nothing. */
  setServerState(state: ServerState): void {
    this.serverState = state;
    // A server that stopped or restarts measures nothing of what it said before.
    if (state !== "running") this.measuring = [];
    this.render();
    this.item.show();
  }

  private render(): void {
    const running = this.runs.mostRecent();
    const tooltip = new vscode.MarkdownString(undefined, true);
    if (this.serverState === "stopped") {
      this.item.text = "$(error) RL: server stopped";
      this.item.command = "rlPlayground.restartServer";
      tooltip.appendMarkdown("The RL Playground language server is not running. Click to restart it.");
    } else if (running) {
      const others = this.runs.all().length - 1;
      const score = running.meanReturn100 === null ? "" : ` · ${formatReturn(running.meanReturn100)}`;
      this.item.text = `$(pulse) RL: update ${running.update}${score}${others > 0 ? ` (+${others})` : ""}`;
      this.item.command = "rlPlayground.openDashboard";
      tooltip.appendMarkdown(runTooltip(running, this.backend));
      if (this.measuring.length) tooltip.appendMarkdown(`\n\n${measuringTooltip(this.measuring)}`);
    } else if (this.measuring.length && this.serverState === "running") {
      this.item.text = "$(loading~spin) RL: measuring…";
      this.item.command = "rlPlayground.openDashboard";
      tooltip.appendMarkdown(measuringTooltip(this.measuring));
    } else if (this.backendProblem && this.serverState === "running") {
      this.item.text = "$(warning) RL: no backend";
      this.item.command = { title: "Open Setting", command: "workbench.action.openSettings", arguments: ["rlPlayground.backend"] };
      tooltip.appendMarkdown(`RL Playground cannot check files: ${escapeMarkdown(this.backendProblem)}. Click to open the setting.`);
      this.item.tooltip = tooltip;
      return;
    } else {
      this.item.text = this.serverState === "starting" ? "$(loading~spin) RL" : `$(beaker) RL${this.backend ? `: ${this.backend}` : ""}`;
      this.item.command = "rlPlayground.openDashboard";
      tooltip.appendMarkdown(serverTooltipLines(this.backend, this.backendMessage, this.serverMessage).join("\n\n"));
      this.item.tooltip = tooltip;
      return;
    }
    // A training's tooltip names its own backend; the active file's line would repeat or contradict it.
    if (this.serverMessage) tooltip.appendMarkdown(`\n\n${escapeMarkdown(this.serverMessage)}`);
    this.item.tooltip = tooltip;
  }

  dispose(): void {
    this.subscription.dispose();
    this.item.dispose();
  }
}

function runTooltip(run: RunningTraining, serverBackend: BackendName | null): string {
  const budget = run.episodeBudget === null ? "" : ` of ${run.episodeBudget}`;
  const mean = run.meanReturn100 === null ? "not yet" : formatReturn(run.meanReturn100);
  return [
    `Training **${escapeMarkdown(run.environment)}**: update ${run.update}, ${run.episodes}${budget} episodes`,
    `mean return (last 100 episodes): ${mean}`,
    `backend: **${run.backend ?? serverBackend ?? "unknown"}**`,
    "Click to open the training dashboard.",
  ].join("\n\n");
}

function measuringTooltip(uris: string[]): string {
  const names = uris.map((u) => `**${escapeMarkdown(path.posix.basename(vscode.Uri.parse(u).path))}**`).join(", ");
  return `Measuring the reward statistics of ${names}: the errors are shown, the probe's fixed sample of episodes is still running, and the warnings that rest on it come when it is done.`;
}

/** Enough digits to see progress whatever the reward's scale. */
function formatReturn(value: number): string {
  return Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 1 ? value.toFixed(1) : value.toFixed(3);
}
