/**
 * "RL: New Environment": writes `<name>.rl.ts` from the template into a workspace folder,
 * with the typings and tsconfig mapping the editor needs to type-check it (editorTypings.ts).
 */
import * as vscode from "vscode";
import { encode, exists, readText, setUpTypings } from "./editorTypings";
import { TYPINGS_FILE, environmentSource, invalidBaseName } from "./scaffold";

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
  const file = vscode.Uri.joinPath(folder.uri, `${baseName}.rl.ts`);
  if (await exists(file)) {
    void vscode.window.showWarningMessage(`${vscode.workspace.asRelativePath(file)} already exists; nothing was written.`);
    return;
  }
  const template = await readText(vscode.Uri.joinPath(context.extensionUri, "templates", "environment.rl.ts"));
  await vscode.workspace.fs.writeFile(file, encode(environmentSource(template, baseName)));
  const tsconfigNote = await setUpTypings(context, folder);
  log(`New environment ${file.fsPath}; typings in ${TYPINGS_FILE}; tsconfig.json ${tsconfigNote}.`);
  await vscode.window.showTextDocument(file);
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
