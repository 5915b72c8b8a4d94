/**
 * Training in the background: each session trains one file in the engine's runner process
 * (the server's thread only relays), so the server keeps answering. One session per file
 * at a time: a second `startTraining` for a file that is training returns the running
 * session's runId. Several files may train at once. Progress goes out as
 * `rlPlayground/trainingProgress` at most 20 times a second, each with the newest update and
 * the ones since the previous notification (`merged`), so every update reaches the client; and
 * as `$/progress` (the newest only).
 * Playback: the running training's latest episode, else one played from a finished run's folder.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ErrorCodes, ResponseError, type Connection, type TextDocuments, type WorkDoneProgressServerReporter } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import {
  Methods,
  type BackendChoice,
  type EndReason,
  type PlaybackParams,
  type PlaybackResult,
  type StartTrainingParams,
  type StartTrainingResult,
  type StopTrainingResult,
  type TrainingEndedParams,
  type TrainingProgressParams,
  type TrainingSettings,
  type TrainingStartedParams,
  type UpdateMetrics,
} from "../protocol";
import type { DocumentChecks } from "./documentChecks";
import { playbackFromRun, trainDocument, type TrainingOutcome, type TrainingRun, type TrainingStartInfo } from "./engine";
import { uriToPath } from "./lspDiagnostics";
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

export class TrainingSessions {
  private readonly byRunId = new Map<string, TrainingSession>();
  private readonly byUri = new Map<string, TrainingSession>();
  /** Finished runs that saved a policy: runId → its file and folder (for playback). */
  private readonly saved = new Map<string, { uri: string; file: string; runDir: string }>();
  private count = 0;

  constructor(private readonly ctx: TrainingContext) {}

  async start(params: StartTrainingParams): Promise<StartTrainingResult> {
    const running = this.byUri.get(params.uri);
    if (running) return { runId: running.runId };
    if (!this.ctx.trusted())
      throw new ResponseError(
        ErrorCodes.InvalidRequest,
        "training runs the environment's code: trust this workspace first (Workspace Trust)",
      );
    const file = uriToPath(params.uri);
    if (!file) throw new ResponseError(ErrorCodes.InvalidParams, `only files on disk can be trained: ${params.uri}`);
    const open = this.ctx.documents.get(params.uri);
    let contents: string;
    try {
      contents = open ? open.getText() : fs.readFileSync(file, "utf8");
    } catch {
      throw new ResponseError(ErrorCodes.InvalidParams, `no such file: ${file}`);
    }
    const settings = await this.ctx.settings.forResource(params.uri);
    const name = path.basename(file).replace(/\.rl\.ts$|\.ts$/, "");
    const runId = `${name}-${Date.now().toString(36)}-${++this.count}`;
    const session = new TrainingSession(this.ctx, {
      runId,
      uri: params.uri,
      file,
      contents,
      backend: settings.backend,
      overrides: params.settings ?? {},
      runDir: freshRunDir(path.join(workspaceFolderOf(file, this.ctx.folders()), ".rl-playground", "runs"), name),
    });
    this.byRunId.set(runId, session);
    this.byUri.set(params.uri, session);
    this.ctx.checks.setTrainingDiagnostics(params.uri, []);
    void session.run().finally(() => this.byRunId.delete(runId));
    session.onEnded((runDir) => {
      if (this.byUri.get(params.uri) === session) this.byUri.delete(params.uri);
      if (runDir) this.saved.set(runId, { uri: params.uri, file, runDir });
    });
    return { runId };
  }

  stop(runId: string): StopTrainingResult {
    const session = this.byRunId.get(runId);
    return { stopped: session ? session.stop() : false };
  }

  stopAll(): void {
    for (const s of this.byRunId.values()) s.stop();
  }

  /**
   * The running training's latest episode, else one of the policy a run folder saved: the one named by `runDir`
   * (a run reopened from disk), else the finished run `runId`, else the newest finished run of the file.
   */
  async playback(params: PlaybackParams): Promise<PlaybackResult> {
    const running = params.runId ? this.byRunId.get(params.runId) : this.byUri.get(params.uri);
    if (running?.latestPlayback) return cutFrames(running.latestPlayback, params.maxFrames);
    if (params.runDir !== undefined) return this.playbackOfFolder(params, params.runDir);
    const saved = params.runId ? this.saved.get(params.runId) : [...this.saved.values()].reverse().find((r) => r.uri === params.uri);
    if (saved) return playbackFromRun(saved.file, this.ctx.documents.get(saved.uri)?.getText(), saved.runDir, params);
    return {
      ok: false,
      reason: "no-policy",
      message: running
        ? "no episode yet: the first comes a few seconds into the training"
        : "no trained policy for this file yet: train it first",
    };
  }

  /** Plays the policy a run folder saved on the environment file at `params.uri` (a saved run reopened in the dashboard). */
  private async playbackOfFolder(params: PlaybackParams, runDir: string): Promise<PlaybackResult> {
    if (!this.ctx.trusted())
      return { ok: false, reason: "error", message: "playback runs the environment's code: trust this workspace first (Workspace Trust)" };
    const file = uriToPath(params.uri);
    if (!file || !fs.existsSync(file)) return { ok: false, reason: "error", message: `the environment file is gone: ${params.uri}` };
    if (!fs.existsSync(path.join(runDir, "policy.json")))
      return { ok: false, reason: "no-policy", message: `no saved policy in ${runDir}` };
    return playbackFromRun(file, this.ctx.documents.get(params.uri)?.getText(), runDir, params);
  }
}

function cutFrames(result: PlaybackResult, maxFrames: number | undefined): PlaybackResult {
  if (!result.ok || maxFrames === undefined || result.frames.length <= maxFrames) return result;
  return {
    ...result,
    frames: result.frames.slice(0, maxFrames),
    actions: result.actions.slice(0, maxFrames),
    rewards: result.rewards.slice(0, maxFrames),
  };
}

interface SessionSpec {
  runId: string;
  uri: string;
  file: string;
  contents: string;
  backend: BackendChoice;
  overrides: Partial<TrainingSettings>;
  runDir: string;
}

class TrainingSession {
  readonly runId: string;
  /** The newest episode of the current policy the engine played (environments with render()). */
  latestPlayback: PlaybackResult | null = null;
  private training: TrainingRun | null = null;
  private stopping = false;
  private ended = false;
  private readonly endListeners: Array<(runDir: string | null) => void> = [];
  private reporter: WorkDoneProgressServerReporter | null = null;

  constructor(
    private readonly ctx: TrainingContext,
    private readonly spec: SessionSpec,
  ) {
    this.runId = spec.runId;
  }

  onEnded(listener: (runDir: string | null) => void): void {
    this.endListeners.push(listener);
  }

  /**
   * Asks the engine to stop. The end is reported when the run has ended: the engine saves it
   * as stopped if it stops in time, else kills its runner, and answers once the runner is gone.
   */
  stop(): boolean {
    if (this.ended || this.stopping) return false;
    this.stopping = true;
    this.training?.stop();
    return true;
  }

  async run(): Promise<void> {
    const { spec, ctx } = this;
    ctx.log(`training ${spec.file} (run ${spec.runId}) into ${spec.runDir}`);
    void ctx.connection.window.createWorkDoneProgress().then((reporter) => {
      if (this.ended) return reporter.done();
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
    if (this.stopping) this.training.stop();
    this.finished(await this.training.result);
  }

  private started(info: TrainingStartInfo): void {
    const params: TrainingStartedParams = { runId: this.runId, uri: this.spec.uri, ...info };
    void this.ctx.connection.sendNotification(Methods.trainingStarted, params);
    this.ctx.log(`run ${this.runId}: ${info.environment} on backend ${info.backend ?? "unknown"}`);
  }

  private progress(updates: UpdateMetrics[]): void {
    if (this.ended || updates.length === 0) return;
    const m = updates[updates.length - 1]!;
    const merged = updates.length > 1 ? { merged: updates.slice(0, -1) } : {};
    const params: TrainingProgressParams = {
      runId: this.runId,
      uri: this.spec.uri,
      update: m.update,
      episodes: m.episodes,
      metrics: m,
      ...merged,
    };
    void this.ctx.connection.sendNotification(Methods.trainingProgress, params);
    this.reporter?.report(Math.min(100, Math.floor((100 * m.episodes) / Math.max(m.episodeBudget, 1))), progressMessage(m));
  }

  private finished(outcome: TrainingOutcome): void {
    const base = { runId: this.runId, uri: this.spec.uri };
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
      this.ctx.checks.setTrainingDiagnostics(this.spec.uri, outcome.diagnostics);
      this.ctx.log(`run ${this.runId} failed: ${outcome.message}`);
    }
    // A stopped run that saved in time has a folder and a summary.
    const saved = outcome.summary?.runDir ? { runDir: outcome.summary.runDir, summary: outcome.summary } : {};
    this.end({ ...base, reason: outcome.reason, message: outcome.message, ...saved });
  }

  private end(params: TrainingEndedParams): void {
    if (this.ended) return;
    this.ended = true;
    this.reporter?.done();
    void this.ctx.connection.sendNotification(Methods.trainingEnded, params);
    for (const listener of this.endListeners) listener(params.runDir ?? null);
  }
}

function progressMessage(m: UpdateMetrics): string {
  return `update ${m.update} · mean return ${formatReturn(m.meanReturn100)}`;
}

function formatReturn(x: number): string {
  return Math.abs(x) >= 100 ? x.toFixed(0) : Number(x.toPrecision(3)).toString();
}

/** The workspace folder that holds the file; else the file's own folder. */
function workspaceFolderOf(file: string, folders: string[]): string {
  return folders.filter((f) => file.startsWith(f + path.sep)).sort((a, b) => b.length - a.length)[0] ?? path.dirname(file);
}

/** `<runs>/<name>-<time>` as the CLI names it; a second run in the same second gets a suffix. */
function freshRunDir(runs: string, name: string): string {
  const base = path.join(runs, `${name}-${timestamp()}`);
  let dir = base;
  for (let i = 2; fs.existsSync(dir); i++) dir = `${base}-${i}`;
  return dir;
}

/** As the CLI stamps run folders: YYYYMMDD-HHMMSS (UTC). */
function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}
