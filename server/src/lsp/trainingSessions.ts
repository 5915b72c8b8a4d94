/**
 * Training in the background: each session trains one file in the engine's runner process
 * (the server's thread only relays), so the server keeps answering. One session per file
 * at a time, even when requests race: a `startTraining` for a file that is training returns
 * the running session's runId, one that comes while another start of the file is under way
 * shares it, and one that comes while the file's session is stopping waits for it to end and
 * starts anew (a stopping session is never handed out). Several files may train at once.
 * Progress goes out as `rlPlayground/trainingProgress` at most 20 times a second, each with the
 * newest update and the ones since the previous notification (`merged`), so every update reaches
 * the client; and as `$/progress` (the newest only). `trainingEnded` goes out when the run has
 * ended, its runner gone (the engine kills a runner that does not stop in time), never on a
 * timer. A session follows its file when it is renamed and stops when it is deleted.
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
import {
  playbackFromRun,
  trainDocument,
  trainingSettingsProblems,
  type TrainingOutcome,
  type TrainingRun,
  type TrainingStartInfo,
} from "./engine";
import { matchesFiles } from "./fileGlob";
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
  /** Sessions whose run has not ended, by runId. */
  private readonly byRunId = new Map<string, TrainingSession>();
  /** Each file's session until its run has ended (stopping ones included), by the file's URI. */
  private readonly byUri = new Map<string, TrainingSession>();
  /** Renames announced (`workspace/willRenameFiles`) and not yet done: old URI → new URI. */
  private readonly renaming = new Map<string, string>();
  /** Starts under way (settings being read, a stopping session being waited for), by the file's URI. */
  private readonly starting = new Map<string, Promise<StartTrainingResult>>();
  /** Finished runs that saved a policy: runId → its file and folder (for playback). */
  private readonly saved = new Map<string, { uri: string; file: string; runDir: string }>();
  private count = 0;

  constructor(private readonly ctx: TrainingContext) {}

  /**
   * The file's one training: the running session's, the start under way, or a new session.
   * The checks that need no await come first, so a bad request never gets another's run.
   */
  start(params: StartTrainingParams): Promise<StartTrainingResult> {
    const problems = params.settings ? trainingSettingsProblems(params.settings as Record<string, unknown>) : [];
    if (problems.length > 0) throw new ResponseError(ErrorCodes.InvalidParams, `${Methods.startTraining}: ${problems.join(" ")}`);
    const pending = this.starting.get(params.uri);
    if (pending) return pending;
    const current = this.byUri.get(params.uri);
    if (current && !current.stopping) return Promise.resolve({ runId: current.runId });
    const started = this.startAfter(params, current).finally(() => {
      if (this.starting.get(params.uri) === started) this.starting.delete(params.uri);
    });
    this.starting.set(params.uri, started);
    return started;
  }

  /** A new session for the file, once `stopping` (the file's previous session, if any) has ended. */
  private async startAfter(params: StartTrainingParams, stopping: TrainingSession | undefined): Promise<StartTrainingResult> {
    this.refuseUntrusted();
    const file = uriToPath(params.uri);
    if (!file) throw new ResponseError(ErrorCodes.InvalidParams, `only files on disk can be trained: ${params.uri}`);
    const settings = await this.ctx.settings.forResource(params.uri);
    if (!matchesFiles(file, settings.files, this.ctx.folders()))
      throw new ResponseError(
        ErrorCodes.InvalidParams,
        `${path.basename(file)} is not an environment file: only files matching rlPlayground.files ("${settings.files}") are trained`,
      );
    if (stopping) await stopping.ended;
    // Trust may have been withdrawn while the settings were read or the previous run stopped.
    this.refuseUntrusted();
    const open = this.ctx.documents.get(params.uri);
    let contents: string;
    try {
      contents = open ? open.getText() : fs.readFileSync(file, "utf8");
    } catch {
      throw new ResponseError(ErrorCodes.InvalidParams, `no such file: ${file}`);
    }
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
    void session.ended.then((runDir) => {
      this.byRunId.delete(runId);
      if (this.byUri.get(session.uri) === session) this.byUri.delete(session.uri);
      if (runDir) this.saved.set(runId, { uri: session.uri, file: session.file, runDir });
    });
    void session.run();
    return { runId };
  }

  private refuseUntrusted(): void {
    if (!this.ctx.trusted())
      throw new ResponseError(
        ErrorCodes.InvalidRequest,
        "training runs the environment's code: trust this workspace first (Workspace Trust)",
      );
  }

  stop(runId: string): StopTrainingResult {
    const session = this.byRunId.get(runId);
    return { stopped: session ? session.stop() : false };
  }

  stopAll(): void {
    for (const s of this.byRunId.values()) s.stop();
  }

  /**
   * Files or folders deleted (the client's file watcher, or `workspace/didDeleteFiles`): the
   * trainings of files in them stop, and say why. A file that is back on disk (a save that
   * replaces the file) keeps training.
   */
  deleted(uris: string[]): void {
    // The watcher may report a rename's delete before `didRenameFiles` arrives: follow the rename announced.
    const announced = [...this.renaming].filter(([oldUri, newUri]) => uris.some((uri) => isWithin(uri, oldUri)) && onDisk(newUri));
    this.renamed(announced.map(([oldUri, newUri]) => ({ oldUri, newUri })));
    for (const session of this.byUri.values())
      if (uris.some((uri) => isWithin(session.uri, uri)) && !fs.existsSync(session.file))
        session.stop(`training was stopped: ${path.basename(session.file)} was deleted`);
  }

  /** Renames about to be done (`workspace/willRenameFiles`): remembered until done, so that the watcher's delete of the old name is not taken for a delete. */
  willRename(files: Array<{ oldUri: string; newUri: string }>): void {
    for (const { oldUri, newUri } of files) this.renaming.set(oldUri, newUri);
  }

  /** A document closed: if its file is gone, nothing is left to train (a delete the watcher may not report). */
  closed(uri: string): void {
    const session = this.byUri.get(uri);
    if (session && !fs.existsSync(session.file)) session.stop(`training was stopped: ${path.basename(session.file)} was deleted`);
  }

  /** Files or folders renamed (`workspace/didRenameFiles`): their trainings follow, reported under the new URI. */
  renamed(files: Array<{ oldUri: string; newUri: string }>): void {
    for (const { oldUri, newUri } of files) {
      this.renaming.delete(oldUri);
      const moved = (uri: string) => (isWithin(uri, oldUri) ? newUri + uri.slice(oldUri.length) : null);
      for (const session of [...this.byUri.values()]) {
        const uri = moved(session.uri);
        const file = uri ? uriToPath(uri) : null;
        if (!uri || !file) continue;
        this.byUri.delete(session.uri);
        this.ctx.log(`run ${session.runId}: ${session.file} was renamed to ${file}; the training follows it`);
        session.follow(uri, file);
        this.byUri.set(uri, session);
      }
      for (const run of this.saved.values()) {
        const uri = moved(run.uri);
        const file = uri ? uriToPath(uri) : null;
        if (uri && file) Object.assign(run, { uri, file });
      }
    }
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

  /** The file was renamed: the rest of the run is reported under the new URI (the runner has the code loaded already). */
  follow(uri: string, file: string): void {
    this.uri = uri;
    this.file = file;
  }

  async run(): Promise<void> {
    const { spec, ctx } = this;
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
    const params: TrainingStartedParams = { runId: this.runId, uri: this.uri, ...info };
    void this.ctx.connection.sendNotification(Methods.trainingStarted, params);
    this.ctx.log(`run ${this.runId}: ${info.environment} on backend ${info.backend ?? "unknown"}`);
  }

  private progress(updates: UpdateMetrics[]): void {
    if (this.done || updates.length === 0) return;
    const m = updates[updates.length - 1]!;
    const merged = updates.length > 1 ? { merged: updates.slice(0, -1) } : {};
    const params: TrainingProgressParams = {
      runId: this.runId,
      uri: this.uri,
      update: m.update,
      episodes: m.episodes,
      metrics: m,
      ...merged,
    };
    void this.ctx.connection.sendNotification(Methods.trainingProgress, params);
    this.reporter?.report(Math.min(100, Math.floor((100 * m.episodes) / Math.max(m.episodeBudget, 1))), progressMessage(m));
  }

  private finished(outcome: TrainingOutcome): void {
    const base = { runId: this.runId, uri: this.uri };
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
      this.ctx.checks.setTrainingDiagnostics(this.uri, outcome.diagnostics);
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
    void this.ctx.connection.sendNotification(Methods.trainingEnded, params);
    this.ctx.log(`run ${this.runId} ended: ${params.reason}${params.runDir ? `, saved in ${params.runDir}` : ""}`);
    this.resolveEnded(params.runDir ?? null);
  }
}

function onDisk(uri: string): boolean {
  const file = uriToPath(uri);
  return file !== null && fs.existsSync(file);
}

/** Whether `uri` is `container` or inside it (a deleted or renamed folder). */
function isWithin(uri: string, container: string): boolean {
  return uri === container || uri.startsWith(container.endsWith("/") ? container : `${container}/`);
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
