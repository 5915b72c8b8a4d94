/**
 * Training in the background: each session trains one file in the engine's runner process
 * (the server's thread only relays), so the server keeps answering. One session per file
 * at a time: a second `startTraining` for a file that is training returns the running
 * session's runId. Several files may train at once. Progress goes out as
 * `rlPlayground/trainingProgress` (at most PROGRESS_PER_SECOND a second, the newest update
 * wins; every update is in the run folder's metrics.jsonl) and as `$/progress`.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ErrorCodes, ResponseError, type Connection, type TextDocuments, type WorkDoneProgressServerReporter } from "vscode-languageserver";
import type { TextDocument } from "vscode-languageserver-textdocument";
import {
  Methods,
  type BackendChoice,
  type EndReason,
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
import { trainDocument, type TrainingOutcome, type TrainingStartInfo } from "./engine";
import { uriToPath } from "./lspDiagnostics";
import type { SettingsReader } from "./settings";

const PROGRESS_PER_SECOND = 20;
/** A stopped run is reported ended after this long at the latest, even if its runner is still winding down. */
const STOP_DEADLINE_MS = 900;

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
    session.onEnded(() => {
      if (this.byUri.get(params.uri) === session) this.byUri.delete(params.uri);
    });
    return { runId };
  }

  stop(runId: string): StopTrainingResult {
    const session = this.byRunId.get(runId);
    return { stopped: session ? session.stop() : false };
  }

  runningFor(uri: string): string | null {
    return this.byUri.get(uri)?.runId ?? null;
  }

  stopAll(): void {
    for (const s of this.byRunId.values()) s.stop();
  }
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
  private readonly controller = new AbortController();
  private ended = false;
  private readonly endListeners: Array<() => void> = [];
  private reporter: WorkDoneProgressServerReporter | null = null;
  private pending: UpdateMetrics | null = null;
  private lastSent = 0;
  private flushTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly ctx: TrainingContext,
    private readonly spec: SessionSpec,
  ) {
    this.runId = spec.runId;
  }

  onEnded(listener: () => void): void {
    this.endListeners.push(listener);
  }

  /** Asks the runner to stop; the end is reported within STOP_DEADLINE_MS. */
  stop(): boolean {
    if (this.ended || this.controller.signal.aborted) return false;
    this.controller.abort();
    setTimeout(
      () => this.end({ runId: this.runId, uri: this.spec.uri, reason: "stopped", message: "training was stopped" }),
      STOP_DEADLINE_MS,
    );
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
    const outcome = await trainDocument({
      file: spec.file,
      contents: spec.contents,
      backend: spec.backend,
      settings: spec.overrides,
      runDir: spec.runDir,
      signal: this.controller.signal,
      onStarted: (info) => this.started(info),
      onProgress: (metrics) => this.progress(metrics),
    });
    this.flush();
    this.finished(outcome);
  }

  private started(info: TrainingStartInfo): void {
    const params: TrainingStartedParams = { runId: this.runId, uri: this.spec.uri, ...info };
    void this.ctx.connection.sendNotification(Methods.trainingStarted, params);
    this.ctx.log(`run ${this.runId}: ${info.environment} on backend ${info.backend ?? "unknown"}`);
  }

  /** At most PROGRESS_PER_SECOND notifications a second; a faster stream sends its newest update. */
  private progress(metrics: UpdateMetrics): void {
    if (this.ended) return;
    this.pending = metrics;
    const wait = this.lastSent + 1000 / PROGRESS_PER_SECOND - Date.now();
    if (wait <= 0) this.flush();
    else this.flushTimer ??= setTimeout(() => this.flush(), wait);
  }

  private flush(): void {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const m = this.pending;
    if (!m || this.ended) return;
    this.pending = null;
    this.lastSent = Date.now();
    const params: TrainingProgressParams = { runId: this.runId, uri: this.spec.uri, update: m.update, episodes: m.episodes, metrics: m };
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
    this.end({ ...base, reason: outcome.reason, message: outcome.message });
  }

  private end(params: TrainingEndedParams): void {
    if (this.ended) return;
    this.ended = true;
    clearTimeout(this.flushTimer);
    this.reporter?.done();
    void this.ctx.connection.sendNotification(Methods.trainingEnded, params);
    for (const listener of this.endListeners) listener();
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
