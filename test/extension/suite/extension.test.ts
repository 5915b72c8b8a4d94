/**
 * The extension in a real VS Code (extension host, mocha): it activates on a workspace with
 * environment files, the language server's diagnostics reach the editor, and "RL: Train
 * Policy" / "RL: Stop Training" start and stop a training. Waits on events, never sleeps.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as vscode from "vscode";
import type { RlPlaygroundApi } from "../../../client/src/extension";

const EXTENSION_ID = "rl-playground.rl-playground";

function workspaceFile(name: string): vscode.Uri {
  const folder = vscode.workspace.workspaceFolders?.[0];
  assert.ok(folder, "the suite runs on a workspace folder");
  return vscode.Uri.joinPath(folder.uri, name);
}

/** Resolves with `probe()`'s first defined value, checked now and on every `event`; rejects after `ms`. */
function when<T>(event: vscode.Event<unknown>, probe: () => T | undefined, what: string, ms = 120_000): Promise<T> {
  return new Promise((resolve, reject) => {
    const first = probe();
    if (first !== undefined) return resolve(first);
    const timer = setTimeout(() => {
      subscription.dispose();
      reject(new Error(`timed out after ${ms} ms waiting for ${what}`));
    }, ms);
    const subscription = event(() => {
      const value = probe();
      if (value === undefined) return;
      clearTimeout(timer);
      subscription.dispose();
      resolve(value);
    });
  });
}

function codeOf(d: vscode.Diagnostic): string | undefined {
  const code = typeof d.code === "object" ? d.code.value : d.code;
  return code === undefined ? undefined : String(code);
}

describe("RL Playground in VS Code", () => {
  let api: RlPlaygroundApi;

  before(async () => {
    const extension = vscode.extensions.getExtension<RlPlaygroundApi>(EXTENSION_ID);
    assert.ok(extension, `${EXTENSION_ID} is installed`);
    api = await extension.activate();
  });

  it("contributes its palette commands", async () => {
    const commands = await vscode.commands.getCommands(true);
    for (const id of ["train", "stop", "openDashboard", "check", "newEnvironment", "addTypings", "restartServer"])
      assert.ok(commands.includes(`rlPlayground.${id}`), `rlPlayground.${id} is registered`);
  });

  it("shows the probe's diagnostic on the reward function", async () => {
    const uri = workspaceFile("nan-reward.rl.ts");
    const editor = await vscode.window.showTextDocument(uri);
    const found = await when(
      vscode.languages.onDidChangeDiagnostics,
      () => vscode.languages.getDiagnostics(uri).find((d) => codeOf(d) === "not-finite"),
      "a not-finite diagnostic",
    );
    assert.equal(found.severity, vscode.DiagnosticSeverity.Error);
    const rewardLine = editor.document
      .getText()
      .split("\n")
      .findIndex((l) => l.startsWith("export function reward"));
    assert.equal(found.range.start.line, rewardLine);
  });

  it("trains with RL: Train Policy and stops with RL: Stop Training", async () => {
    const uri = workspaceFile("long-training.rl.ts");
    await vscode.window.showTextDocument(uri);
    await vscode.commands.executeCommand("rlPlayground.train");
    const run = await when(
      api.trainings.onDidChange,
      () => api.trainings.forUri(uri.toString()).find((r) => r.update >= 2),
      "two updates of training",
    );
    await vscode.commands.executeCommand("rlPlayground.stop");
    await when(
      api.trainings.onDidChange,
      () => (api.trainings.forUri(uri.toString()).length === 0 ? true : undefined),
      "the training to end after Stop",
      10_000,
    );
    // The run folder is written as the CLI writes it: one metrics line per update.
    const runsDir = path.join(path.dirname(uri.fsPath), ".rl-playground", "runs");
    const folders = fs.readdirSync(runsDir).filter((name) => name.startsWith("long-training"));
    assert.equal(folders.length, 1);
    const lines = fs
      .readFileSync(path.join(runsDir, folders[0], "metrics.jsonl"), "utf8")
      .trim()
      .split("\n");
    assert.ok(lines.length >= run.update, `${lines.length} metrics lines for ${run.update} updates`);
  });
});
