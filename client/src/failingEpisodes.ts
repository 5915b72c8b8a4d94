/**
 * Failing episodes in the editor: "RL: Fuzz Environment" (random episodes in a runner, the
 * failures found published on the file, grouped by signature) and "Debug failing episode" (a
 * debug session of Node's debugger that replays a diagnostic's episode on the user's code and
 * stops on the failing line). The server's "Replay failing episode" needs no client code.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as vscode from "vscode";
import { ExecuteCommandRequest } from "vscode-languageclient/node";
import {
  FAILING_STEP_CONDITION,
  MAX_FUZZ_EPISODES,
  ServerCommands,
  type DebugEpisodeTarget,
  type FailingEpisode,
  type FuzzReport,
} from "../../server/src/protocol";
import type { ServerConnection } from "./serverConnection";

const DEFAULT_FUZZ_EPISODES = 1000;

/** Asks for a budget, fuzzes the document in the server (cancellable), and says what was found. */
export async function fuzzDocument(
  document: vscode.TextDocument,
  server: ServerConnection,
  output: vscode.LogOutputChannel,
): Promise<void> {
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage("Fuzzing runs the code of this workspace, and the workspace is not trusted. Trust it to fuzz.");
    return;
  }
  const answer = await vscode.window.showInputBox({
    title: "RL: Fuzz Environment",
    prompt: `How many episodes of uniformly random actions (1 to ${MAX_FUZZ_EPISODES})? Each starts from its own seed (0, 1, 2, …); the failures found are shrunk and shown on the file.`,
    value: String(DEFAULT_FUZZ_EPISODES),
    validateInput: (text) =>
      /^\d+$/.test(text.trim()) && Number(text) >= 1 && Number(text) <= MAX_FUZZ_EPISODES
        ? undefined
        : `A whole number of episodes from 1 to ${MAX_FUZZ_EPISODES}.`,
  });
  if (!answer) return;
  const episodes = Number(answer.trim());
  const client = await server.ready();
  const name = vscode.workspace.asRelativePath(document.uri);
  const report = await vscode.window.withProgress(
    { location: vscode.ProgressLocation.Notification, title: `Fuzzing ${name}`, cancellable: true },
    async (progress, token): Promise<FuzzReport | null> => {
      progress.report({ message: `${episodes} episodes of random actions…` });
      try {
        return await client.sendRequest(
          ExecuteCommandRequest.type,
          { command: ServerCommands.fuzz, arguments: [document.uri.toString(), episodes] },
          token,
        );
      } catch (error) {
        // A cancelled request may answer with an error: the user asked for it.
        if (token.isCancellationRequested) return { episodes: 0, stopped: true, failures: [] };
        throw error;
      }
    },
  );
  if (!report) return;
  if (report.stopped) {
    output.info(`${new Date().toISOString()} fuzzing ${name} was stopped.`);
    void vscode.window.showInformationMessage(`Fuzzing ${name} was stopped; nothing was reported.`);
    return;
  }
  const lines = report.failures.map(
    (f) =>
      `${f.code} at ${vscode.workspace.asRelativePath(f.file)}:${f.range.start.line + 1} in ${f.count} episode${f.count === 1 ? "" : "s"}: ${f.message}`,
  );
  output.info(
    `${new Date().toISOString()} fuzzed ${name}: ${report.episodes} episodes of random actions, ${report.failures.length} kind${report.failures.length === 1 ? "" : "s"} of failure`,
  );
  for (const line of lines) output.info(`  ${line}`);
  if (report.failures.length === 0) {
    void vscode.window.showInformationMessage(`${name}: ${report.episodes} episodes of random actions, no failure.`);
    return;
  }
  const kinds = report.failures
    .map((f) => `${f.code} at line ${f.range.start.line + 1} (${f.count} episode${f.count === 1 ? "" : "s"})`)
    .join(", ");
  const choice = await vscode.window.showWarningMessage(
    `${name}: ${report.episodes} episodes of random actions found ${report.failures.length} kind${report.failures.length === 1 ? "" : "s"} of failure: ${kinds}. Each is on the file, with its episode to replay or debug.`,
    "Show Problems",
    "Show Output",
  );
  if (choice === "Show Problems") await vscode.commands.executeCommand("workbench.actions.view.problems");
  if (choice === "Show Output") output.show(true);
}

/**
 * Starts a debug session that replays `episode` on the file (saved first: the debugger runs the
 * file on disk) and stops on the failing line: a breakpoint there whose condition holds only
 * during the failing step (removed when the session ends). A failure that is no throw stops in
 * the replay program once the step has returned, with the values it returned.
 */
export async function debugFailingEpisode(
  context: vscode.ExtensionContext,
  output: vscode.LogOutputChannel,
  uri: unknown,
  episode: unknown,
  target: unknown,
): Promise<void> {
  if (typeof uri !== "string" || !isFailingEpisode(episode) || !isTarget(target)) return;
  if (!vscode.workspace.isTrusted) {
    void vscode.window.showWarningMessage(
      "Debugging a failing episode runs the code of this workspace, and the workspace is not trusted. Trust it to debug.",
    );
    return;
  }
  const fileUri = vscode.Uri.parse(uri);
  const document = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri);
  if (document?.isDirty && !(await document.save())) return;
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rl-playground-debug-"));
  const episodeFile = path.join(dir, "episode.json");
  fs.writeFileSync(episodeFile, JSON.stringify(episode));
  const breakpoint =
    target.code === "user-code-threw"
      ? new vscode.SourceBreakpoint(
          new vscode.Location(vscode.Uri.file(target.file), new vscode.Position(target.line, 0)),
          true,
          FAILING_STEP_CONDITION,
        )
      : null;
  if (breakpoint) vscode.debug.addBreakpoints([breakpoint]);
  const run = path.basename(dir);
  const cleanUp = () => {
    if (breakpoint) vscode.debug.removeBreakpoints([breakpoint]);
    fs.rmSync(dir, { recursive: true, force: true });
    ended.dispose();
  };
  const ended = vscode.debug.onDidTerminateDebugSession((session) => {
    if (session.configuration.rlPlaygroundRun === run) cleanUp();
  });
  const posix = (p: string) => p.split(path.sep).join("/");
  const configuration: vscode.DebugConfiguration = {
    type: "node",
    request: "launch",
    name: `Failing episode: ${path.basename(fileUri.fsPath)}, seed ${episode.seed}, ${episode.actions.length} action${episode.actions.length === 1 ? "" : "s"}`,
    program: context.asAbsolutePath(path.join("dist", "debugReplay.js")),
    args: [fileUri.fsPath, episodeFile, dir],
    cwd: path.dirname(fileUri.fsPath),
    sourceMaps: true,
    pauseForSourceMap: true,
    // The user's bundle is written to a temporary folder, outside the workspace js-debug allows by default.
    resolveSourceMapLocations: [`${posix(dir)}/**`, `${posix(context.asAbsolutePath("dist"))}/**`],
    skipFiles: ["<node_internals>/**"],
    console: "internalConsole",
    rlPlaygroundRun: run,
  };
  output.info(
    `${new Date().toISOString()} debugging the failing episode of ${fileUri.fsPath}: reset(seed=${episode.seed}), ${episode.actions.length} action(s), stopping at line ${target.line + 1} (${target.code})`,
  );
  const started = await vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(fileUri), configuration);
  if (!started) {
    cleanUp();
    void vscode.window.showErrorMessage("The debug session did not start: Node's debugger (js-debug) is needed for it.");
  }
}

function isFailingEpisode(x: unknown): x is FailingEpisode {
  const e = x as FailingEpisode;
  return typeof x === "object" && x !== null && Number.isInteger(e.seed) && Array.isArray(e.actions);
}

function isTarget(x: unknown): x is DebugEpisodeTarget {
  const t = x as DebugEpisodeTarget;
  return typeof x === "object" && x !== null && typeof t.code === "string" && typeof t.file === "string" && Number.isInteger(t.line);
}
