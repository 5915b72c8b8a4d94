/**
 * The language client: starts `dist/server.js` over IPC, tells it whether the workspace is
 * trusted (and when that changes), restarts it after a crash within a budget, and hands the
 * server's notifications to the status bar, the runs list and the dashboard.
 */
import * as vscode from "vscode";
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  RevealOutputChannelOn,
  State,
  TransportKind,
  type CloseHandlerResult,
  type ErrorHandler,
  type ErrorHandlerResult,
  type LanguageClientOptions,
  type ServerOptions,
} from "vscode-languageclient/node";
import type {
  InitializationOptions,
  StatusParams,
  TrainingEndedParams,
  TrainingProgressParams,
  TrainingStartedParams,
} from "../../server/src/protocol";
import {
  ActiveDocumentNotification,
  StatusNotification,
  TrainingEndedNotification,
  TrainingProgressNotification,
  TrainingStartedNotification,
  TrustChangedNotification,
} from "../../server/src/lspMethods";
import { NoWorkDoneProgressFeature } from "./noWorkDoneProgress";
import { RestartBudget, MAX_RESTARTS, RESTART_WINDOW_MS } from "./restartBudget";
import { documentSelector, IMPORTABLE_FILES } from "./settings";
import type { ServerState } from "./statusBar";

/** Where the server's notifications go. */
export interface ServerListener {
  trainingStarted(p: TrainingStartedParams): void;
  trainingProgress(p: TrainingProgressParams): void;
  trainingEnded(p: TrainingEndedParams): void;
  status(p: StatusParams): void;
  serverState(state: ServerState): void;
}

export class ServerConnection implements vscode.Disposable {
  private client: LanguageClient;
  private readonly budget = new RestartBudget();
  private readonly disposables: vscode.Disposable[] = [];
  private starting: Promise<void> | undefined;
  /** One watcher for every client the connection makes (a restart keeps it). */
  private readonly importableFiles: vscode.FileSystemWatcher;

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly output: vscode.LogOutputChannel,
    private readonly listener: ServerListener,
  ) {
    this.importableFiles = vscode.workspace.createFileSystemWatcher(IMPORTABLE_FILES);
    this.client = this.createClient();
    this.disposables.push(
      this.importableFiles,
      vscode.workspace.onDidGrantWorkspaceTrust(() => {
        if (!this.client.needsStart()) void this.client.sendNotification(TrustChangedNotification.type, { trusted: true });
      }),
      vscode.window.onDidChangeActiveTextEditor(() => this.sendActiveDocument(this.client)),
    );
  }

  /** The active editor's file is checked first when checks wait for a runner. */
  private sendActiveDocument(client: LanguageClient): void {
    if (client !== this.client || !client.isRunning()) return;
    const uri = vscode.window.activeTextEditor?.document.uri.toString() ?? null;
    void client.sendNotification(ActiveDocumentNotification.type, { uri });
  }

  /**
   * The client, starting or running. One that is stopped (after the crash budget ran out) or
   * failed to start is replaced by a fresh one: a command the user runs revives the server.
   */
  async ready(): Promise<LanguageClient> {
    await this.ensureStarted().catch(() => undefined);
    if (!this.client.needsStop()) await this.restart();
    return this.client;
  }

  /** Whether the server was ever asked to start (it starts lazily: lazyStart.ts). */
  get begun(): boolean {
    return this.starting !== undefined;
  }

  /** The first start; later calls wait on the same one. */
  ensureStarted(): Promise<void> {
    this.starting ??= this.start();
    return this.starting;
  }

  private async start(): Promise<void> {
    try {
      await this.client.start();
    } catch (error) {
      this.output.error(`The language server did not start: ${message(error)}`);
      this.listener.serverState("stopped");
      throw error;
    }
  }

  /** "RL: Restart Server", and a change of `rlPlayground.files` (the document selector is fixed per client). */
  async restart(): Promise<void> {
    this.budget.reset();
    const old = this.client;
    if (old.needsStop()) await old.stop();
    await old.dispose();
    this.client = this.createClient();
    this.starting = this.start();
    await this.starting;
  }

  async stop(): Promise<void> {
    if (this.client.needsStop()) await this.client.stop();
  }

  private createClient(): LanguageClient {
    const module = this.context.asAbsolutePath("dist/server.js");
    const serverOptions: ServerOptions = {
      run: { module, transport: TransportKind.ipc },
      debug: { module, transport: TransportKind.ipc, options: { execArgv: ["--nolazy", "--inspect=6011"] } },
    };
    const clientOptions: LanguageClientOptions = {
      documentSelector: documentSelector(),
      synchronize: { fileEvents: this.importableFiles },
      // A function: read again at every (re)start, so a restart after trust was granted says so.
      initializationOptions: (): InitializationOptions => ({ trusted: vscode.workspace.isTrusted }),
      outputChannel: this.output,
      revealOutputChannelOn: RevealOutputChannelOn.Never,
      errorHandler: this.errorHandler(),
    };
    // The id makes the client read `rlPlayground.trace.server`.
    const client = new LanguageClient("rlPlayground", "RL Playground", serverOptions, clientOptions);
    client.registerFeature(new NoWorkDoneProgressFeature());
    client.onNotification(TrainingStartedNotification.type, (p) => this.listener.trainingStarted(p));
    client.onNotification(TrainingProgressNotification.type, (p) => this.listener.trainingProgress(p));
    client.onNotification(TrainingEndedNotification.type, (p) => this.listener.trainingEnded(p));
    client.onNotification(StatusNotification.type, (p) => this.listener.status(p));
    client.onDidChangeState((e) => {
      if (client !== this.client) return;
      if (e.newState === State.Running) this.sendActiveDocument(client);
      this.listener.serverState(e.newState === State.Running ? "running" : e.newState === State.Starting ? "starting" : "stopped");
    });
    return client;
  }

  private errorHandler(): ErrorHandler {
    return {
      // A broken message or pipe: keep going a few times, as the default handler does.
      error: (_error, _message, count): ErrorHandlerResult =>
        count !== undefined && count <= 3
          ? { action: ErrorAction.Continue, handled: true }
          : { action: ErrorAction.Shutdown, handled: true },
      closed: (): CloseHandlerResult => {
        if (this.budget.take(Date.now())) {
          this.output.warn("The language server stopped unexpectedly; restarting it.");
          return { action: CloseAction.Restart, handled: true };
        }
        void this.giveUp();
        return { action: CloseAction.DoNotRestart, handled: true };
      },
    };
  }

  private async giveUp(): Promise<void> {
    const minutes = RESTART_WINDOW_MS / 60_000;
    const text = `The RL Playground server crashed ${MAX_RESTARTS + 1} times in ${minutes} minutes and is not restarted again. Diagnostics and training are off until you restart it; its log is in the "RL Playground" output channel.`;
    this.output.error(text);
    const choice = await vscode.window.showErrorMessage(text, "Restart Server", "Show Output");
    if (choice === "Restart Server") await vscode.commands.executeCommand("rlPlayground.restartServer");
    else if (choice === "Show Output") this.output.show();
  }

  dispose(): void {
    for (const d of this.disposables) d.dispose();
    void this.client.dispose();
  }
}

export function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
