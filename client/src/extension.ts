/**
 * The VS Code extension's entry point. It only wires things together: the language client
 * (serverConnection.ts), the status bar, the list of running trainings, the dashboard panel
 * (dashboardPanel.ts) and the palette commands (commands.ts). The server owns the work.
 */
import * as vscode from "vscode";
import { dashboardHost, registerCommands } from "./commands";
import { DashboardPanel } from "./dashboardPanel";
import { refreshTypings } from "./editorTypings";
import { interruptedMessages, recordTrainings, takeInterrupted } from "./interruptedTrainings";
import { LazyStart } from "./lazyStart";
import { ServerConnection } from "./serverConnection";
import { SECTION } from "./settings";
import { TrainingStatusBar } from "./statusBar";
import { outcomeNotice, type OutcomeNotice } from "./trainingOutcome";
import { TrainingRuns } from "./trainingRuns";

/** A training's end where the user looks, with the dashboard and the run folder a click away. */
async function notifyOutcome(
  notice: OutcomeNotice,
  runDir: string | undefined,
  context: vscode.ExtensionContext,
  host: ReturnType<typeof dashboardHost> | undefined,
): Promise<void> {
  const actions = ["Open Dashboard", ...(runDir ? ["Reveal Run Folder"] : [])];
  const show =
    notice.severity === "error"
      ? vscode.window.showErrorMessage
      : notice.severity === "warning"
        ? vscode.window.showWarningMessage
        : vscode.window.showInformationMessage;
  const choice = await show(notice.text, ...actions);
  if (choice === "Open Dashboard" && host) DashboardPanel.createOrShow(context, host);
  if (choice === "Reveal Run Folder" && runDir) await vscode.commands.executeCommand("revealFileInOS", vscode.Uri.file(runDir));
}

/** What `activate` returns: the running trainings, for the extension tests (test/extension/). */
export interface RlPlaygroundApi {
  readonly trainings: TrainingRuns;
}

let server: ServerConnection | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<RlPlaygroundApi> {
  const output = vscode.window.createOutputChannel("RL Playground", { log: true });
  const runs = new TrainingRuns();
  const statusBar = new TrainingStatusBar(runs);
  let host: ReturnType<typeof dashboardHost> | undefined;
  const connection = new ServerConnection(context, output, {
    trainingStarted: (p) => {
      runs.started(p);
      output.info(`${new Date().toISOString()} run ${p.runId} started: ${p.environment} on ${p.backend ?? "an unknown backend"}`);
      DashboardPanel.trainingStarted(p);
      if (host) DashboardPanel.createOrShow(context, host);
    },
    trainingProgress: (p) => {
      runs.progress(p);
      DashboardPanel.trainingProgress(p);
    },
    trainingEnded: (p) => {
      runs.ended(p);
      DashboardPanel.trainingEnded(p);
      const notice = outcomeNotice(p);
      output.info(
        `${new Date().toISOString()} run ${p.runId} ended (${p.reason}): ${notice.text}${p.runDir ? ` Saved in ${p.runDir}.` : ""}`,
      );
      void notifyOutcome(notice, p.runDir, context, host);
    },
    status: (p) => {
      statusBar.status(p);
      // A status that only changes what is being measured may carry no message yet.
      if (p.message) DashboardPanel.status(p);
    },
    serverState: (state) => {
      if (state !== "running") runs.clear();
      statusBar.setServerState(state);
    },
  });
  server = connection;
  host = dashboardHost(connection, output);

  const updateContextKeys = () => {
    const active = vscode.window.activeTextEditor?.document.uri.toString();
    void vscode.commands.executeCommand("setContext", "rlPlayground.trainingRunning", runs.all().length > 0);
    void vscode.commands.executeCommand("setContext", "rlPlayground.trainingActiveFile", !!active && runs.forUri(active).length > 0);
  };

  context.subscriptions.push(
    output,
    runs,
    statusBar,
    connection,
    DashboardPanel.registerSerializer(context, host),
    ...registerCommands({ context, server: connection, runs, host, output }),
    runs.onDidChange(updateContextKeys),
    // What is training is kept in the workspace state: a window reload ends it, and the next window says so.
    runs.onDidChange(
      () =>
        void recordTrainings(
          context.workspaceState,
          runs.all().map((r) => r.environment),
        ),
    ),
    vscode.window.onDidChangeActiveTextEditor(updateContextKeys),
    // The document selector is fixed when a client is made: a new files glob needs a new client.
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration(`${SECTION}.files`) && connection.begun) void connection.restart();
    }),
  );
  updateContextKeys();
  const interrupted = await takeInterrupted(context.workspaceState);
  if (interrupted.length) {
    const { warning, log } = interruptedMessages(interrupted);
    output.warn(log);
    void vscode.window.showWarningMessage(warning);
  }
  void refreshTypings(context, (m) => output.info(m)).catch((error: unknown) => output.error(`Typings refresh failed: ${String(error)}`));
  // A server that fails to start is logged and shown in the status bar; commands retry it.
  const lazyStart = new LazyStart(
    () => connection.ensureStarted().catch(() => undefined),
    (m) => output.info(m),
  );
  context.subscriptions.push(lazyStart);
  await lazyStart.begin();
  return { trainings: runs };
}

export async function deactivate(): Promise<void> {
  await server?.stop();
  server = undefined;
}
