/**
 * One training of one file: relays the engine's run to the client (`trainingStarted`,
 * `trainingProgress` at most 20 times a second with every update, `$/progress`), stops it on
 * request, and reports its end (`trainingEnded`) once the engine says the run has ended, its
 * runner gone: never on a timer. A rename moves it to the new URI; the run goes on.
 */
import * as path from "node:path";
import type { Connection, TextDocuments, WorkDoneProgressServerReporter } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import { TrainingEndedNotification, TrainingProgressNotification, TrainingStartedNotification } from "../lspMethods";
import {
  type BackendChoice,
  type EndReason,
  type PlaybackResult,
  type TrainingEndedParams,
  type TrainingProgressParams,
  type TrainingSettings,
  type TrainingStartedParams,
  type UpdateMetrics,
} from "../protocol";
import type { DocumentChecks } from "./documentChecks";
import { trainDocument, type TrainingOutcome, type TrainingRun, type TrainingStartInfo } from "./engineCalls";
import type { SettingsReader } from "./settings";

export interface TrainingContext {
  connection: Connection;
  documents: TextDocuments<TextDocument>;
  settings: SettingsReader;
  checks: DocumentChecks;
  folders(): string[];
  trusted(): boolean;
  log(message: string): void;
}

export interface SessionSpec {
  runId: string;
  /** The seed group the run belongs to, if any: every notification of the run carries it. */
  groupId?: string;
  uri: string;
  file: string;
  contents: string;
  backend: BackendChoice;
  overrides: Partial<TrainingSettings>;
  runDir: string;
}

export class TrainingSession {
  readonly runId: string;
  /** The file trained, and its URI: a rename moves them (`follow`). */
  uri: string;
  file: string;
  /** The newest episode of the current policy the engine played (environments with render()). */
  latestPlayback: PlaybackResult | null = null;
  /** Resolves when the run has ended and `trainingEnded` is sent, with the run folder when one was saved. */
  readonly ended: Promise<string | null>;
  private training: TrainingRun | null = null;
  /** Why it was stopped, for the end's message; null while not stopping. */
  private stopMessage: string | null = null;
  private done = false;
  private resolveEnded: (runDir: string | null) => void = () => undefined;
  private reporter: WorkDoneProgressServerReporter | null = null;

  constructor(
    private readonly ctx: TrainingContext,
    private readonly spec: SessionSpec,
  ) {
    this.runId = spec.runId;
    this.uri = spec.uri;
    this.file = spec.file;
    this.ended = new Promise((resolve) => (this.resolveEnded = resolve));
  }

  /** Asked to stop and not yet ended: the file's next start waits for the end rather than being handed this run. */
  get stopping(): boolean {
    return this.stopMessage !== null && !this.done;
  }

  /**
   * Asks the engine to stop. The end is reported when the run has ended: the engine saves it
   * as stopped if it stops in time, else kills its runner, and answers once the runner is gone.
   */
  stop(message = "training was stopped"): boolean {
    if (this.done || this.stopMessage !== null) return false;
    this.stopMessage = message;
    this.training?.stop();
    return true;
  }

  /**
   * Ends a run that never started (a seed group's run still waiting for a runner when the group
   * was stopped): `trainingEnded` says so, and no runner was started for it.
   */
  endUnstarted(message: string): void {
    if (this.done || this.training) return;
    this.stopMessage = message;
    this.end({ ...this.ids(), reason: "stopped", message });
  }

  /** The run's ids as every notification of it carries them. */
  private ids(): { runId: string; groupId?: string; uri: string } {
    return this.spec.groupId ? { runId: this.runId, groupId: this.spec.groupId, uri: this.uri } : { runId: this.runId, uri: this.uri };
  }

  /** The file was renamed: the rest of the run is reported under the new URI (the runner has the code loaded already). */
  follow(uri: string, file: string): void {
    this.uri = uri;
    this.file = file;
  }

  async run(): Promise<void> {
    const { spec, ctx } = this;
    if (this.done) return;
    ctx.log(`training ${spec.file} (run ${spec.runId}) into ${spec.runDir}`);
    void ctx.connection.window.createWorkDoneProgress().then((reporter) => {
      if (this.done) return reporter.done();
      this.reporter = reporter;
      reporter.begin(`Training ${path.basename(spec.file)}`, 0, "starting the runner", true);
      reporter.token.onCancellationRequested(() => this.stop());
    });
    this.training = trainDocument({
      file: spec.file,
      contents: spec.contents,
      backend: spec.backend,
      settings: spec.overrides,
      runDir: spec.runDir,
      onStarted: (info) => this.started(info),
      onProgress: (updates) => this.progress(updates),
      onPlayback: (result) => (this.latestPlayback = result),
    });
    if (this.stopMessage !== null) this.training.stop();
    this.finished(await this.training.result);
  }

  private started(info: TrainingStartInfo): void {
    const params: TrainingStartedParams = { ...this.ids(), ...info };
    void this.ctx.connection.sendNotification(TrainingStartedNotification.type, params);
    this.ctx.log(`run ${this.runId}: ${info.environment} on backend ${info.backend ?? "unknown"}`);
  }

  private progress(updates: UpdateMetrics[]): void {
    if (this.done || updates.length === 0) return;
    const m = updates[updates.length - 1]!;
    const merged = updates.length > 1 ? { merged: updates.slice(0, -1) } : {};
    const params: TrainingProgressParams = {
      ...this.ids(),
      update: m.update,
      episodes: m.episodes,
      metrics: m,
      ...merged,
    };
    void this.ctx.connection.sendNotification(TrainingProgressNotification.type, params);
    this.reporter?.report(Math.min(100, Math.floor((100 * m.episodes) / Math.max(m.episodeBudget, 1))), progressMessage(m));
  }

  private finished(outcome: TrainingOutcome): void {
    const base = this.ids();
    // What the run showed of its reward terms (reward-term-inert), or why it failed, on the file until the next check.
    this.ctx.checks.setTrainingDiagnostics(this.uri, outcome.diagnostics);
    if (outcome.ok) {
      const s = outcome.summary;
      const reason: EndReason = s.solved ? "solved" : s.reason;
      this.end({
        ...base,
        reason,
        message: `${s.environment}: ${reason} after ${s.episodes} episodes, mean return (last 100) ${s.meanReturn100.toFixed(2)}`,
        ...(s.runDir ? { runDir: s.runDir } : {}),
        summary: s,
      });
      return;
    }
    if (outcome.reason === "error") {
      this.ctx.log(`run ${this.runId} failed: ${outcome.message}`);
    }
    // A stopped run that saved in time has a folder and a summary.
    const saved = outcome.summary?.runDir ? { runDir: outcome.summary.runDir, summary: outcome.summary } : {};
    const message = outcome.reason === "stopped" ? (this.stopMessage ?? outcome.message) : outcome.message;
    this.end({ ...base, reason: outcome.reason, message, ...saved });
  }

  private end(params: TrainingEndedParams): void {
    if (this.done) return;
    this.done = true;
    this.reporter?.done();
    void this.ctx.connection.sendNotification(TrainingEndedNotification.type, params);
    this.ctx.log(`run ${this.runId} ended: ${params.reason}${params.runDir ? `, saved in ${params.runDir}` : ""}`);
    this.resolveEnded(params.runDir ?? null);
  }
}

function progressMessage(m: UpdateMetrics): string {
  return `update ${m.update} · mean return ${formatReturn(m.meanReturn100)}`;
}

function formatReturn(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(0) : Number(x.toPrecision(3)).toString();
}
