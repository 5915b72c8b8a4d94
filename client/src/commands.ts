/**
 * The palette commands (category "RL", design §6). Each takes an optional target: a
 * `vscode.Uri` (editor title, explorer) or a URI string (the server's CodeLens); without
 * one, the active editor's file.
 */
import * as vscode from "vscode";
import { EditTrainingRequest, PlaybackRequest, StartTrainingRequest, StopTrainingRequest } from "../../server/src/lspMethods";
import {
  ClientCommands,
  MAX_GROUP_SEEDS,
  MIN_GROUP_SEEDS,
  ServerCommands,
  type CheckReport,
  type Range,
  type StartTrainingParams,
} from "../../server/src/protocol";
import { DashboardPanel, type DashboardHost } from "./dashboardPanel";
import { debugFailingEpisode, fuzzDocument } from "./failingEpisodes";
import { addEditorTypings, newEnvironment } from "./newEnvironment";
import { message, type ServerConnection } from "./serverConnection";
import { filesGlob, isEnvironmentDocument } from "./settings";
import type { RunningTraining, TrainingRuns } from "./trainingRuns";

export interface CommandDeps {
  context: vscode.ExtensionContext;
  server: ServerConnection;
  runs: TrainingRuns;
  host: DashboardHost;
  output: vscode.LogOutputChannel;
}

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { context, server, runs, host, output } = deps;
  const register = (id: string, run: (arg?: unknown, more?: unknown) => Promise<void>) =>
    vscode.commands.registerCommand(id, async (arg?: unknown, more?: unknown) => {
      try {
        await run(arg, more);
      } catch (error) {
        output.error(`${id} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        void vscode.window.showErrorMessage(`RL Playground: ${message(error)}`);
      }
    });

  return [
    register("rlPlayground.train", async (arg) => {
      const document = await environmentDocument(arg, "train");
      if (!document) return;
      if (!vscode.workspace.isTrusted) {
        const choice = await vscode.window.showWarningMessage(
          "Training runs the code of this workspace, and the workspace is not trusted. Trust it to train.",
          "Manage Workspace Trust",
        );
        if (choice) await vscode.commands.executeCommand("workbench.trust.manage");
        return;
      }
      await host.train(document.uri.toString());
      DashboardPanel.createOrShow(context, host);
    }),

    register("rlPlayground.stop", async (arg) => {
      const running = runs.all();
      if (running.length === 0) {
        void vscode.window.showInformationMessage("No training is running.");
        return;
      }
      const target = targetUri(arg);
      const ofTarget = target ? runs.forUri(target.toString()) : [];
      const run = await pickRun(ofTarget.length ? ofTarget : running);
      if (run) await host.stop(run.runId);
    }),

    register("rlPlayground.openDashboard", async () => {
      DashboardPanel.createOrShow(context, host);
    }),

    register("rlPlayground.check", async (arg) => {
      const document = await environmentDocument(arg, "check");
      if (!document) return;
      await server.ready();
      const name = vscode.workspace.asRelativePath(document.uri);
      // The status bar shows the check under way; its answer says what was checked and found.
      const report = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: `Checking ${name}` }, () =>
        vscode.commands.executeCommand<CheckReport | null>(ServerCommands.recheck, document.uri.toString()),
      );
      if (!report) return;
      output.info(`${new Date().toISOString()} checked ${name} (version ${report.version}): ${report.summary}`);
      if (report.errors + report.warnings === 0) {
        // With a button the toast shows its whole text (a toast without one is cut to one line), and
        // training is the next thing to do with a clean file.
        const next = report.staticOnly ? [] : ["Train"];
        void vscode.window.showInformationMessage(`${name}: ${report.summary}`, ...next).then((choice) => {
          if (choice === "Train") void vscode.commands.executeCommand("rlPlayground.train", document.uri);
        });
        return;
      }
      const choice = await vscode.window.showWarningMessage(`${name}: ${report.summary}`, "Show Problems");
      if (choice) await vscode.commands.executeCommand("workbench.actions.view.problems");
    }),

    // A second argument (the dashboard's "Train 5 seeds") gives the number of seeds; else the user is asked.
    register("rlPlayground.trainSeeds", async (arg, count) => {
      const document = await environmentDocument(arg, "train");
      if (!document) return;
      if (!vscode.workspace.isTrusted) {
        void vscode.window.showWarningMessage(
          "Training runs the code of this workspace, and the workspace is not trusted. Trust it to train.",
        );
        return;
      }
      const given = typeof count === "number" && Number.isInteger(count) && count >= MIN_GROUP_SEEDS && count <= MAX_GROUP_SEEDS;
      const answer = given
        ? String(count)
        : await vscode.window.showInputBox({
            title: "RL: Train Policy over Seeds",
            prompt: `How many seeds (${MIN_GROUP_SEEDS} to ${MAX_GROUP_SEEDS})? Seeds 0, 1, 2, … are trained side by side, as many at once as rlPlayground.maxRunners allows.`,
            value: "5",
            validateInput: (text) =>
              /^\d+$/.test(text.trim()) && Number(text) >= MIN_GROUP_SEEDS && Number(text) <= MAX_GROUP_SEEDS
                ? undefined
                : `A whole number from ${MIN_GROUP_SEEDS} to ${MAX_GROUP_SEEDS}.`,
          });
      if (!answer) return;
      const seeds = Array.from({ length: Number(answer) }, (_, i) => i);
      const client = await server.ready();
      const params: StartTrainingParams = { uri: document.uri.toString(), seeds };
      const result = await client.sendRequest(StartTrainingRequest.type, params);
      output.info(
        "groupId" in result
          ? `${new Date().toISOString()} training ${document.uri.fsPath} over seeds ${seeds.join(", ")} as group ${result.groupId} (runs ${result.runIds.join(", ")}).`
          : `${new Date().toISOString()} ${document.uri.fsPath} is already training (run ${result.runId}).`,
      );
      DashboardPanel.createOrShow(context, host);
    }),

    register("rlPlayground.fuzz", async (arg) => {
      const document = await environmentDocument(arg, "fuzz");
      if (document) await fuzzDocument(document, server, output);
    }),

    // A code action's command: "Debug failing episode" on a failure that carries its episode.
    vscode.commands.registerCommand(ClientCommands.debugEpisode, (uri: unknown, episode: unknown, target: unknown) =>
      debugFailingEpisode(context, output, uri, episode, target).catch((error: unknown) => {
        output.error(`Debug failing episode failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
        void vscode.window.showErrorMessage(`RL Playground: ${message(error)}`);
      }),
    ),

    register("rlPlayground.newEnvironment", () => newEnvironment(context, (m) => output.info(m))),

    register("rlPlayground.addTypings", () => addEditorTypings(context, (m) => output.info(m))),

    register("rlPlayground.restartServer", async () => {
      runs.clear();
      await server.restart();
      output.info("The language server was restarted.");
    }),

    // Run by a quick fix after its edit: the edit may lie outside what the editor shows.
    vscode.commands.registerCommand(ClientCommands.revealRange, (uri: unknown, range: unknown) => {
      if (typeof uri !== "string" || !isRange(range)) return;
      const editor = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === uri);
      if (!editor) return;
      const target = new vscode.Range(range.start.line, range.start.character, range.end.line, range.end.character);
      if (editor.visibleRanges.some((visible) => visible.contains(target))) return;
      editor.revealRange(target, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
    }),
  ];
}

/** The dashboard's requests, sent to the server. */
export function dashboardHost(server: ServerConnection, output: vscode.LogOutputChannel): DashboardHost {
  return {
    async train(uri, settings) {
      const client = await server.ready();
      const params: StartTrainingParams = settings ? { uri, settings } : { uri };
      const result = await client.sendRequest(StartTrainingRequest.type, params);
      const runs = "groupId" in result ? `seed group ${result.groupId}` : `run ${result.runId}`;
      output.info(`Training ${vscode.Uri.parse(uri).fsPath} as ${runs}.`);
    },
    async stop(runId) {
      const client = await server.ready();
      const { stopped } = await client.sendRequest(StopTrainingRequest.type, { runId });
      if (!stopped) void vscode.window.showInformationMessage("That training had already ended.");
    },
    async playback(params) {
      return (await server.ready()).sendRequest(PlaybackRequest.type, params);
    },
    async editTraining(uri, settings) {
      const client = await server.ready();
      // The server edits the file on its syntax tree and refuses settings its check would reject.
      const edit = await client.sendRequest(EditTrainingRequest.type, { uri, settings });
      const applied = await vscode.workspace.applyEdit(await client.protocol2CodeConverter.asWorkspaceEdit(edit));
      if (!applied) throw new Error(`the edit of ${vscode.Uri.parse(uri).fsPath} was not applied (the file changed meanwhile?)`);
      const document = await vscode.workspace.openTextDocument(vscode.Uri.parse(uri));
      if (document.isDirty) await document.save();
    },
    log: (line) => output.info(line),
  };
}

function targetUri(arg: unknown): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  if (typeof arg === "string") return vscode.Uri.parse(arg);
  return vscode.window.activeTextEditor?.document.uri;
}

/** The target as an open document, if it is an environment file; otherwise says why not. */
async function environmentDocument(arg: unknown, verb: string): Promise<vscode.TextDocument | undefined> {
  const uri = targetUri(arg);
  if (!uri) {
    void vscode.window.showInformationMessage(`Open an environment file (${filesGlob()}) to ${verb} it.`);
    return undefined;
  }
  const document = await vscode.workspace.openTextDocument(uri);
  if (!isEnvironmentDocument(document)) {
    const glob = filesGlob(uri);
    void vscode.window.showInformationMessage(
      `${vscode.workspace.asRelativePath(uri)} is not an environment file: rlPlayground.files is "${glob}".`,
    );
    return undefined;
  }
  return document;
}

async function pickRun(candidates: RunningTraining[]): Promise<RunningTraining | undefined> {
  if (candidates.length === 1) return candidates[0];
  const items = candidates.map((run) => ({
    label: run.environment,
    description: vscode.workspace.asRelativePath(vscode.Uri.parse(run.uri)),
    detail: `update ${run.update}, ${run.episodes} episodes`,
    run,
  }));
  return (await vscode.window.showQuickPick(items, { placeHolder: "Stop which training?" }))?.run;
}

function isRange(value: unknown): value is Range {
  const isPosition = (p: unknown) =>
    typeof p === "object" &&
    p !== null &&
    Number.isInteger((p as { line?: unknown }).line) &&
    Number.isInteger((p as { character?: unknown }).character);
  return typeof value === "object" && value !== null && isPosition((value as Range).start) && isPosition((value as Range).end);
}
