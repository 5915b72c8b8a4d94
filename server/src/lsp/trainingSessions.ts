/**
 * Training in the background, one session per file at a time (`trainingSession.ts` runs
 * one), even when requests race: a `startTraining` for a file that is training returns the
 * running session's runId, one that comes while another start of the file is under way
 * shares it, and one that comes while the file's session is stopping waits for it to end and
 * starts anew (a stopping session is never handed out). Several files may train at once.
 * A session follows its file when it is renamed and stops when it is deleted.
 * Playback: the running training's latest episode, else one played from a finished run's folder.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { ErrorCodes, ResponseError } from "vscode-languageserver";
import { StartTrainingRequest } from "../lspMethods";
import {
  type PlaybackParams,
  type PlaybackResult,
  type StartGroupResult,
  type StartTrainingParams,
  type StartTrainingResult,
  type StopTrainingResult,
} from "../protocol";
import { playbackFromRun, runnerBound, trainingSettingsProblems } from "./engineCalls";
import { matchesFiles } from "./fileGlob";
import { uriToPath } from "./lspDiagnostics";
import { SeedGroup } from "./seedGroup";
import { TrainingSession, type TrainingContext } from "./trainingSession";

/** A file's one training: a run, or a seed group of runs. */
type FileTraining = TrainingSession | SeedGroup;

function answerOf(training: FileTraining): StartTrainingResult | StartGroupResult {
  return training instanceof SeedGroup ? training.answer() : { runId: training.runId };
}

export class TrainingSessions {
  /** Sessions whose run has not ended, by runId. */
  private readonly byRunId = new Map<string, TrainingSession>();
  /** Each file's training (a session or a seed group) until it has ended (stopping ones included), by the file's URI. */
  private readonly byUri = new Map<string, FileTraining>();
  /** Seed groups that have not ended, by groupId (a stop may name the group). */
  private readonly groups = new Map<string, SeedGroup>();
  /** Renames announced (`workspace/willRenameFiles`) and not yet done: old URI → new URI. */
  private readonly renaming = new Map<string, string>();
  /** Starts under way (settings being read, a stopping session being waited for), by the file's URI. */
  private readonly starting = new Map<string, Promise<StartTrainingResult | StartGroupResult>>();
  /** Finished runs that saved a policy: runId → its file and folder (for playback). */
  private readonly saved = new Map<string, { uri: string; file: string; runDir: string }>();
  private count = 0;

  constructor(private readonly ctx: TrainingContext) {}

  /**
   * The file's one training: the running session's, the start under way, or a new session.
   * The checks that need no await come first, so a bad request never gets another's run.
   */
  start(params: StartTrainingParams): Promise<StartTrainingResult | StartGroupResult> {
    const problems = params.settings ? trainingSettingsProblems(params.settings as Record<string, unknown>) : [];
    // Each seed of a group is the run's `seed` setting, held to that setting's rules.
    for (const seed of params.seeds ?? [])
      problems.push(...trainingSettingsProblems({ seed }).map((p) => p.replace(/^settings\.seed\b/, `seeds: ${seed}`)));
    if (problems.length > 0)
      throw new ResponseError(ErrorCodes.InvalidParams, `${StartTrainingRequest.type.method}: ${problems.join(" ")}`);
    const pending = this.starting.get(params.uri);
    if (pending) return pending;
    const current = this.byUri.get(params.uri);
    if (current && !current.stopping) return Promise.resolve(answerOf(current));
    const started = this.startAfter(params, current).finally(() => {
      if (this.starting.get(params.uri) === started) this.starting.delete(params.uri);
    });
    this.starting.set(params.uri, started);
    return started;
  }

  /** A new session for the file, once `stopping` (the file's previous session, if any) has ended. */
  private async startAfter(
    params: StartTrainingParams,
    stopping: FileTraining | undefined,
  ): Promise<StartTrainingResult | StartGroupResult> {
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
    const runs = path.join(workspaceFolderOf(file, this.ctx.folders()), ".rl-playground", "runs");
    const session = (groupId: string | undefined, seed: number | undefined) => {
      const runId = `${name}-${Date.now().toString(36)}-${++this.count}`;
      const s = new TrainingSession(this.ctx, {
        runId,
        ...(groupId ? { groupId } : {}),
        uri: params.uri,
        file,
        contents,
        backend: settings.backend,
        overrides: seed === undefined ? (params.settings ?? {}) : { ...params.settings, seed },
        runDir: freshRunDir(runs, seed === undefined ? name : `${name}-seed${seed}`),
      });
      this.byRunId.set(runId, s);
      void s.ended.then((runDir) => {
        this.byRunId.delete(runId);
        if (this.byUri.get(s.uri) === s) this.byUri.delete(s.uri);
        if (runDir) this.saved.set(runId, { uri: s.uri, file: s.file, runDir });
      });
      return s;
    };
    this.ctx.checks.setTrainingDiagnostics(params.uri, []);
    if (!params.seeds) {
      const single = session(undefined, undefined);
      this.byUri.set(params.uri, single);
      void single.run();
      return { runId: single.runId };
    }
    const groupId = `${name}-group-${Date.now().toString(36)}-${++this.count}`;
    const group = new SeedGroup(
      groupId,
      params.seeds.map((seed) => session(groupId, seed)),
      runnerBound(settings.maxRunners),
    );
    this.byUri.set(params.uri, group);
    this.groups.set(groupId, group);
    void group.ended.then(() => {
      this.groups.delete(groupId);
      if (this.byUri.get(group.uri) === group) this.byUri.delete(group.uri);
    });
    this.ctx.log(
      `seed group ${groupId}: ${params.seeds.length} runs of ${file} (seeds ${params.seeds.join(", ")}), at most ${runnerBound(settings.maxRunners)} at once`,
    );
    group.begin();
    return group.answer();
  }

  private refuseUntrusted(): void {
    if (!this.ctx.trusted())
      throw new ResponseError(
        ErrorCodes.InvalidRequest,
        "training runs the environment's code: trust this workspace first (Workspace Trust)",
      );
  }

  /** Stops a run, or every run of a seed group when `runId` is the group's id. */
  stop(runId: string): StopTrainingResult {
    const training = this.byRunId.get(runId) ?? this.groups.get(runId);
    return { stopped: training ? training.stop() : false };
  }

  stopAll(): void {
    // Groups first: their waiting runs end without starting a runner.
    for (const g of this.groups.values()) g.stop();
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

/** Whether the file `uri` names exists on disk. */
function onDisk(uri: string): boolean {
  const file = uriToPath(uri);
  return file !== null && fs.existsSync(file);
}

/** Whether `uri` is `container` or inside it (a deleted or renamed folder). */
function isWithin(uri: string, container: string): boolean {
  return uri === container || uri.startsWith(container.endsWith("/") ? container : `${container}/`);
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
