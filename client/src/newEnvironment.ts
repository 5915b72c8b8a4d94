/**
 * "RL: New Environment": writes `<name>.rl.ts` from the template into a workspace folder and
 * opens it as a tab of its own; nothing else (the TypeScript server plugin gives the editor the
 * typings). "RL: Add Editor Typings" writes the typings and tsconfig mapping (editorTypings.ts).
 */
import * as vscode from "vscode";
import { encode, exists, readText, setUpTypings } from "./editorTypings";
import { TYPINGS_FILE, invalidBaseName, planNewEnvironment } from "./scaffold";

export async function newEnvironment(context: vscode.ExtensionContext, log: (message: string) => void): Promise<void> {
  const folder = await pickFolder("Workspace folder for the new environment");
  if (!folder) return;
  const baseName = await vscode.window.showInputBox({
    title: "RL: New Environment",
    prompt: `Name of the environment file, created in ${folder.name} (".rl.ts" is added)`,
    value: "my-environment",
    validateInput: invalidBaseName,
  });
  if (!baseName) return;
  const template = await readText(vscode.Uri.joinPath(context.extensionUri, "templates", "environment.rl.ts"));
  const plan = planNewEnvironment(template, baseName);
  const uriOf = (relative: string) => vscode.Uri.joinPath(folder.uri, ...relative.split("/"));
  for (const { path } of plan.writes)
    if (await exists(uriOf(path))) {
      void vscode.window.showWarningMessage(`${vscode.workspace.asRelativePath(uriOf(path))} already exists; nothing was written.`);
      return;
    }
  for (const { path, text } of plan.writes) await vscode.workspace.fs.writeFile(uriOf(path), encode(text));
  log(`New environment ${uriOf(plan.open.path).fsPath}.`);
  await vscode.window.showTextDocument(uriOf(plan.open.path), { preview: plan.open.preview });
}

/** "RL: Add Editor Typings": the typings and tsconfig mapping alone, for existing environment files. */
export async function addEditorTypings(context: vscode.ExtensionContext, log: (message: string) => void): Promise<void> {
  const folder = await pickFolder("Workspace folder to add the rl-playground typings to");
  if (!folder) return;
  const tsconfigNote = await setUpTypings(context, folder);
  log(`Typings added to ${folder.name} (${TYPINGS_FILE}); tsconfig.json ${tsconfigNote}.`);
  void vscode.window.showInformationMessage(`Added the rl-playground typings to ${folder.name}.`);
}

async function pickFolder(placeHolder: string): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) {
    void vscode.window.showInformationMessage("Open a folder first: the files are written into it.");
    return undefined;
  }
  if (folders.length === 1) return folders[0];
  return vscode.window.showWorkspaceFolderPick({ placeHolder });
}
