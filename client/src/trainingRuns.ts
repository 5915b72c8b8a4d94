/**
 * The trainings the server reports as running, from its notifications: what "Stop Training"
 * offers, what the status bar shows and which editors get the Stop button.
 */
import * as vscode from "vscode";
import type { BackendName, TrainingEndedParams, TrainingProgressParams, TrainingStartedParams } from "../../server/src/protocol";

export interface RunningTraining {
  runId: string;
  uri: string;
  environment: string;
  backend: BackendName | null;
  update: number;
  episodes: number;
  episodeBudget: number | null;
  meanReturn100: number | null;
  /** Date.now() of the last notification: the status bar shows the most recent run. */
  lastHeard: number;
}

export class TrainingRuns implements vscode.Disposable {
  private readonly runs = new Map<string, RunningTraining>();
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChange = this.changed.event;

  started(p: TrainingStartedParams): void {
    this.runs.set(p.runId, {
      runId: p.runId,
      uri: p.uri,
      environment: p.environment,
      backend: p.backend,
      update: 0,
      episodes: 0,
      episodeBudget: p.settings.maxEpisodes,
      meanReturn100: null,
      lastHeard: Date.now(),
    });
    this.changed.fire();
  }

  progress(p: TrainingProgressParams): void {
    const run = this.runs.get(p.runId) ?? {
      runId: p.runId,
      uri: p.uri,
      environment: environmentName(p.uri),
      backend: null,
      episodeBudget: null,
      update: 0,
      episodes: 0,
      meanReturn100: null,
      lastHeard: 0,
    };
    this.runs.set(p.runId, {
      ...run,
      update: p.update,
      episodes: p.episodes,
      episodeBudget: p.metrics.episodeBudget,
      meanReturn100: p.metrics.meanReturn100,
      lastHeard: Date.now(),
    });
    this.changed.fire();
  }

  ended(p: TrainingEndedParams): void {
    if (this.runs.delete(p.runId)) this.changed.fire();
  }

  /** The server went away: its trainings went with it. */
  clear(): void {
    if (this.runs.size === 0) return;
    this.runs.clear();
    this.changed.fire();
  }

  all(): RunningTraining[] {
    return [...this.runs.values()];
  }

  forUri(uri: string): RunningTraining[] {
    return this.all().filter((r) => r.uri === uri);
  }

  mostRecent(): RunningTraining | undefined {
    return this.all().reduce<RunningTraining | undefined>((a, b) => (a && a.lastHeard >= b.lastHeard ? a : b), undefined);
  }

  dispose(): void {
    this.changed.dispose();
  }
}

function environmentName(uri: string): string {
  return decodeURIComponent(uri.slice(uri.lastIndexOf("/") + 1)).replace(/\.rl\.ts$/, "");
}
