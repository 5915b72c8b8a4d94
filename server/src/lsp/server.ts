/**
 * The RL Playground language server: diagnostics as you type, the reward hover, CodeLens,
 * quick fixes, and training in the background (design §6). `startServer` wires handlers
 * to any connection (IPC, stdio, or an in-memory pair in tests); the work lives in the
 * modules it imports, and every engine call goes through `api.ts`.
 */
import { URI } from "vscode-uri";
import {
  CodeActionKind,
  DidChangeConfigurationNotification,
  FileChangeType,
  MessageType,
  ShowMessageNotification,
  TextDocuments,
  TextDocumentSyncKind,
  type CancellationToken,
  type Connection,
  type FileOperationRegistrationOptions,
  type InitializeResult,
} from "vscode-languageserver";
import { TextDocument } from "vscode-languageserver-textdocument";
import {
  MAX_FUZZ_EPISODES,
  ServerCommands,
  type BackendName,
  type CheckReport,
  type FailingEpisode,
  type FuzzReport,
  type InitializationOptions,
  type StatusParams,
} from "../protocol";
import { checkReport } from "./checkReport";
import { quickFixActions } from "./codeActions";
import { environmentLenses } from "./codeLens";
import { CHANGE_DEBOUNCE_MS, DocumentChecks } from "./documentChecks";
import { editTraining } from "./editTraining";
import { describeReplayStep } from "../api";
import { fuzzEnvironmentOf, replayEpisode, RunnerPools } from "./engineCalls";
import { matchesFiles } from "./fileGlob";
import { DocumentPlaces, rewardHover } from "./hover";
import { uriToPath } from "./lspDiagnostics";
import {
  ActiveDocumentNotification,
  EditTrainingRequest,
  PlaybackRequest,
  StartTrainingRequest,
  StatusNotification,
  StopTrainingRequest,
  TrustChangedNotification,
} from "../lspMethods";
import { onCheckedNotification, onCheckedRequest } from "./methodParams";
import { exposeToRunners, locateTfjsNode, type NativeBackendLocation } from "./nativeBackend";
import { DEFAULT_SERVER_SETTINGS, SettingsReader, type ServerSettings } from "./settings";
import { TrainingSessions } from "./trainingSessions";

export function startServer(connection: Connection): void {
  const documents = new TextDocuments(TextDocument);
  let trusted = true;
  let canPullConfiguration = false;
  let foldersChangeable = false;
  let folders: string[] = [];
  let pools: RunnerPools | null = null;
  let native: NativeBackendLocation | null = null;
  let lastStatus: StatusParams = { message: "" };
  let lastSent = "";
  let measuring: string[] = [];
  const justOpened = new Set<string>();
  const places = new DocumentPlaces();

  const log = (message: string) => connection.console.log(message);
  /** The last message with the documents being measured; sent when either changes. */
  const sendStatus = () => {
    const params: StatusParams = measuring.length ? { ...lastStatus, measuring } : lastStatus;
    const key = JSON.stringify([params.message, measuring]);
    if (key === lastSent) return;
    lastSent = key;
    void connection.sendNotification(StatusNotification.type, params);
  };
  const status = (params: StatusParams) => {
    if (params.message === lastStatus.message) return;
    lastStatus = params;
    log(params.message);
    sendStatus();
  };
  /**
   * Each document's backend line (files may differ: the policy's size and the folder's settings
   * choose it). The status shows the active document's, not the last one checked or trained,
   * so a check of a file in the background does not relabel the file the user is looking at.
   */
  const backendLines = new Map<string, StatusParams>();
  let activeUri: string | null = null;
  const backendLine = (uri: string, params: StatusParams) => {
    backendLines.set(uri, params);
    if (activeUri === null || uri === activeUri || !backendLines.has(activeUri)) status(params);
  };
  /** Runners start only in a trusted workspace: an untrusted one runs no user code at all. */
  const runnerPools = () => (pools ??= new RunnerPools());
  const settings = new SettingsReader(connection, () => canPullConfiguration);

  const checks = new DocumentChecks({
    connection,
    documents,
    settings,
    get pools() {
      return runnerPools();
    },
    folders: () => folders,
    trusted: () => trusted,
    log,
    onBackend: (uri, backend, reason, s) => backendLine(uri, { backend, message: backendStatus(backend, reason, s, native) }),
    onBackendFailed: (uri, message, s) =>
      backendLine(uri, {
        backend: null,
        message: `RL Playground: checks fail: the backend set in rlPlayground.backend ("${s.backend}") cannot load`,
        backendProblem: message.replace(/^RL Playground could not check this file: /, "").split(". No diagnostics")[0]!,
      }),
    onMeasuring: (uris) => {
      measuring = uris;
      sendStatus();
    },
  });
  const trainings = new TrainingSessions({ connection, documents, settings, checks, folders: () => folders, trusted: () => trusted, log });

  /** Where `@tensorflow/tfjs-node` is, for the runners; a change restarts the warm runners. */
  const configureNativeBackend = async () => {
    const s = await settings.forResource(folderUri(folders[0]));
    const found = locateTfjsNode(folders, s.tfjsNodePath);
    if (native?.nodeModules === found.nodeModules) {
      native = found;
      return;
    }
    native = found;
    exposeToRunners(found);
    log(`native backend: ${found.reason}`);
    const old = pools;
    pools = null;
    await old?.dispose();
    if (trusted) runnerPools().get(s.backend, s.maxRunners);
  };

  const isWatched = async (uri: string, s?: ServerSettings) => {
    const file = uriToPath(uri);
    return !!file && matchesFiles(file, (s ?? (await settings.forResource(uri))).files, folders);
  };

  connection.onInitialize((params): InitializeResult => {
    trusted = (params.initializationOptions as InitializationOptions | undefined)?.trusted !== false;
    canPullConfiguration = !!params.capabilities.workspace?.configuration;
    foldersChangeable = !!params.capabilities.workspace?.workspaceFolders;
    const roots = params.workspaceFolders?.map((f) => f.uri) ?? (params.rootUri ? [params.rootUri] : []);
    folders = roots.map(uriToPath).filter((p): p is string => p !== null);
    return {
      capabilities: {
        textDocumentSync: TextDocumentSyncKind.Incremental,
        hoverProvider: true,
        codeLensProvider: { resolveProvider: false },
        codeActionProvider: { codeActionKinds: [CodeActionKind.QuickFix] },
        executeCommandProvider: { commands: [ServerCommands.recheck, ServerCommands.replayEpisode, ServerCommands.fuzz] },
        workspace: {
          workspaceFolders: { supported: true, changeNotifications: true },
          fileOperations: { didDelete: TRAINED_FILE_OPERATIONS, willRename: TRAINED_FILE_OPERATIONS, didRename: TRAINED_FILE_OPERATIONS },
        },
      },
      serverInfo: { name: "rl-playground" },
    };
  });

  connection.onInitialized(() => {
    if (canPullConfiguration) void connection.client.register(DidChangeConfigurationNotification.type, { section: "rlPlayground" });
    if (foldersChangeable)
      connection.workspace.onDidChangeWorkspaceFolders((e) => {
        const removed = new Set(e.removed.map((f) => uriToPath(f.uri)));
        folders = [
          ...folders.filter((f) => !removed.has(f)),
          ...e.added.map((f) => uriToPath(f.uri)).filter((p): p is string => p !== null),
        ];
        void configureNativeBackend().finally(() => checks.recheckOpen());
      });
    if (!trusted) {
      const message =
        "RL Playground: this workspace is not trusted, so only static checks run (compile errors, a missing environment export); no code of the workspace runs. Trust the workspace to get the probe, hovers and training.";
      void connection.sendNotification(ShowMessageNotification.type, { type: MessageType.Info, message });
      status({ message });
    }
    void configureNativeBackend().catch((error: unknown) => log(`native backend lookup failed: ${String(error)}`));
  });

  connection.onDidChangeConfiguration((change) => {
    settings.changed(change.settings);
    // Runners are started for a backend: the next check starts them with the new settings.
    const old = pools;
    pools = null;
    void old?.dispose();
    void configureNativeBackend().finally(() => checks.recheckOpen());
  });

  onCheckedNotification(connection, TrustChangedNotification, log, (params) => {
    if (params.trusted === trusted) return;
    trusted = params.trusted;
    if (!trusted) trainings.stopAll();
    status({
      message: trusted
        ? "RL Playground: workspace trusted: the probe and training are on."
        : "RL Playground: workspace not trusted: static checks only.",
    });
    checks.recheckOpen();
  });

  onCheckedNotification(connection, ActiveDocumentNotification, log, ({ uri }) => {
    checks.setActive(uri);
    activeUri = uri;
    const line = uri === null ? undefined : backendLines.get(uri);
    if (line) status(line);
  });

  // The client syncs every TypeScript, JavaScript and JSON document; only environment files are
  // checked (`run` skips the others), the rest are read when an environment imports them.
  documents.onDidOpen((e) => justOpened.add(e.document.uri));
  documents.onDidChangeContent((e) => {
    const opened = justOpened.delete(e.document.uri);
    if (opened) checks.opened(e.document);
    else checks.edited(e.document.uri);
    checks.schedule(e.document.uri, opened ? 0 : CHANGE_DEBOUNCE_MS);
  });
  documents.onDidClose((e) => {
    justOpened.delete(e.document.uri);
    backendLines.delete(e.document.uri);
    checks.closed(e.document);
    checks.close(e.document.uri);
    places.forget(e.document.uri);
    settings.forget(e.document.uri);
  });

  connection.onHover(async (params) => {
    const doc = documents.get(params.textDocument.uri);
    const file = uriToPath(params.textDocument.uri);
    if (!doc || !file || !(await isWatched(doc.uri))) return null;
    return rewardHover(places.of(doc), params.position, checks.latest(doc.uri));
  });

  connection.onCodeLens(async (params) => {
    const doc = documents.get(params.textDocument.uri);
    const file = uriToPath(params.textDocument.uri);
    if (!doc || !file || !(await isWatched(doc.uri))) return [];
    return environmentLenses(doc.uri, file, doc.getText(), trusted);
  });

  connection.onCodeAction((params) => {
    const doc = documents.get(params.textDocument.uri);
    return doc ? quickFixActions(doc.uri, doc.getText(), params.context.diagnostics) : [];
  });

  // An explicit check answers with what it checked and found, once its verdict is published.
  connection.onExecuteCommand(async (params, token): Promise<CheckReport | ReplayReport | FuzzReport | null> => {
    const uri = params.arguments?.[0];
    if (params.command === ServerCommands.replayEpisode) return replay(uri, params.arguments?.[1]);
    if (params.command === ServerCommands.fuzz) return fuzzDocument(uri, params.arguments?.[1], token);
    if (params.command !== ServerCommands.recheck || typeof uri !== "string" || !documents.get(uri)) return null;
    const started = Date.now();
    const check = await checks.checkNow(uri);
    if (!check) return null;
    const report = checkReport(uri, check);
    log(`checked ${uriToPath(uri) ?? uri} (version ${report.version}) in ${Date.now() - started} ms: ${report.summary}`);
    return report;
  });

  /**
   * "Replay failing episode": the episode a diagnostic carries, replayed in a runner, every step
   * written to the output channel, and the failure it ends in said in a message.
   */
  const replay = async (uri: unknown, episode: unknown): Promise<ReplayReport | null> => {
    const doc = typeof uri === "string" ? documents.get(uri) : undefined;
    const file = typeof uri === "string" ? uriToPath(uri) : null;
    if (!doc || !file || !isFailingEpisode(episode) || !trusted) return null;
    const s = await settings.forResource(doc.uri);
    const result = await replayEpisode(file, doc.getText(), episode, s.backend, runnerPools().get(s.backend, s.maxRunners));
    log(`replay of ${file}: reset(seed=${episode.seed}), ${episode.actions.length} action(s)`);
    for (const [k, step] of result.steps.entries()) log(`  ${describeReplayStep(step, k)}`);
    const ending = result.diagnostic ? `${result.diagnostic.code}: ${result.diagnostic.message}` : "it did not fail this time";
    log(`  then ${ending}`);
    const message = `Replayed ${result.steps.length} step(s) of the failing episode (each in the output channel "RL Playground"); ${result.diagnostic ? `it ends in ${result.diagnostic.code}.` : "it did not fail this time."}`;
    void connection.sendNotification(ShowMessageNotification.type, {
      type: result.diagnostic ? MessageType.Warning : MessageType.Info,
      message,
    });
    return { steps: result.steps.length, failed: result.diagnostic !== null, code: result.diagnostic?.code ?? null };
  };

  /**
   * "RL: Fuzz Environment": random episodes; the failures found stay on the file until its next
   * check. A cancelled request stops the runner and publishes nothing.
   */
  const fuzzDocument = async (uri: unknown, episodes: unknown, token: CancellationToken): Promise<FuzzReport | null> => {
    const doc = typeof uri === "string" ? documents.get(uri) : undefined;
    const file = typeof uri === "string" ? uriToPath(uri) : null;
    const count =
      typeof episodes === "number" && Number.isInteger(episodes) && episodes >= 1 && episodes <= MAX_FUZZ_EPISODES ? episodes : 1000;
    if (!doc || !file || !trusted) return null;
    const s = await settings.forResource(doc.uri);
    const stop = new AbortController();
    // A token cancelled before the handler read it never fires its event: ask it first.
    if (token.isCancellationRequested) stop.abort();
    const cancelled = token.onCancellationRequested(() => stop.abort());
    try {
      const r = await fuzzEnvironmentOf(file, doc.getText(), count, s.backend, runnerPools().get(s.backend, s.maxRunners), stop.signal);
      if (stop.signal.aborted) {
        log(`fuzzing ${file} was stopped`);
        return { episodes: r.episodes, stopped: true, failures: [] };
      }
      checks.setTrainingDiagnostics(
        doc.uri,
        r.findings.map((f) => f.diagnostic),
      );
      const kinds = r.findings.map(
        (f) => `${f.diagnostic.code} at line ${f.diagnostic.range.start.line + 1} in ${f.count} episode${f.count === 1 ? "" : "s"}`,
      );
      log(`fuzzed ${file}: ${r.episodes} random episodes, ${kinds.length ? kinds.join("; ") : "no failures"}`);
      return {
        episodes: r.episodes,
        stopped: false,
        failures: r.findings.map(({ diagnostic: d, count }) => ({ code: d.code, message: d.message, file: d.file, range: d.range, count })),
      };
    } finally {
      cancelled.dispose();
    }
  };

  // Params are checked against their schemas before the handlers see them (InvalidParams otherwise).
  onCheckedRequest(connection, StartTrainingRequest, (params) => trainings.start(params));
  onCheckedRequest(connection, StopTrainingRequest, (params) => trainings.stop(params.runId));
  onCheckedRequest(connection, PlaybackRequest, (params) => trainings.playback(params));
  onCheckedRequest(connection, EditTrainingRequest, (params) => editTraining(params, documents));
  // A training whose file is deleted stops and says so; one whose file is renamed follows it. The
  // client's file watcher reports deletes made outside the editor, `workspace/didDeleteFiles` and
  // `workspace/{will,did}RenameFiles` the editor's own (the client sends them for the filters
  // declared in the capabilities; the watcher's delete of a renamed file may come before
  // `didRenameFiles`), and a document closed with its file gone covers a watcher that missed it.
  // One handler for the watcher (a connection keeps only the last registered): the client reports
  // changes to any file an environment can import (its watcher's glob), so checks that read a
  // changed file run again, and a deleted environment file stops its training.
  connection.onDidChangeWatchedFiles((params) => {
    checks.filesChanged(
      params.changes.map((c) => ({
        uri: c.uri,
        kind: c.type === FileChangeType.Created ? "created" : c.type === FileChangeType.Deleted ? "deleted" : "changed",
      })),
    );
    trainings.deleted(params.changes.filter((c) => c.type === FileChangeType.Deleted).map((c) => c.uri));
  });
  connection.workspace.onDidDeleteFiles((params) => trainings.deleted(params.files.map((f) => f.uri)));
  connection.workspace.onWillRenameFiles((params) => {
    trainings.willRename(params.files);
    return null;
  });
  connection.workspace.onDidRenameFiles((params) => trainings.renamed(params.files));
  documents.onDidClose((e) => trainings.closed(e.document.uri));

  connection.onShutdown(async () => {
    trainings.stopAll();
    checks.dispose();
    await pools?.dispose();
  });

  documents.listen(connection);
  connection.listen();
}

/** What "Replay failing episode" answers the client (the steps are in the output channel). */
interface ReplayReport {
  steps: number;
  failed: boolean;
  code: string | null;
}

function isFailingEpisode(x: unknown): x is FailingEpisode {
  const e = x as FailingEpisode;
  return (
    typeof x === "object" &&
    x !== null &&
    Number.isInteger(e.seed) &&
    Array.isArray(e.actions) &&
    e.actions.every((a) => typeof a === "number" || (Array.isArray(a) && a.every((v) => typeof v === "number"))) &&
    typeof e.shrunkFrom === "number"
  );
}

/** Which backend runs the checks, and why (design §7): the engine's reason, and where tfjs-node was looked for. */
function backendStatus(backend: BackendName, reason: string | null, s: ServerSettings, native: NativeBackendLocation | null): string {
  const why = s.backend !== DEFAULT_SERVER_SETTINGS.backend ? "set by rlPlayground.backend" : `auto: ${reason ?? "the engine's choice"}`;
  return `RL Playground: backend ${backend} (${why}; ${native?.reason ?? "@tensorflow/tfjs-node not looked up yet"})`;
}

/** Files and folders on disk whose delete or rename may concern a training (any name: rlPlayground.files is per resource). */
const TRAINED_FILE_OPERATIONS: FileOperationRegistrationOptions = { filters: [{ scheme: "file", pattern: { glob: "**/*" } }] };

function folderUri(folder: string | undefined): string | undefined {
  return folder ? URI.file(folder).toString() : undefined;
}
