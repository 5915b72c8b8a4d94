/**
 * "RL: New Environment": writes `<name>.rl.ts` from the template into a workspace folder,
 * copies the runtime's typings to `.rl-playground/types/rl-playground/`, and makes sure a
 * `tsconfig.json` maps `"rl-playground"` to them (creates one, or adds the mapping to plain
 * JSON; a tsconfig with comments is left alone and the user is told what to add).
 */
import * as vscode from "vscode";
import { TYPINGS_DIR, environmentSource, invalidBaseName, mergeTsconfig, newTsconfig } from "./scaffold";

export async function newEnvironment(context: vscode.ExtensionContext, log: (message: string) => void): Promise<void> {
  const folder = await pickFolder();
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
  await copyTypings(context, folder);
  const tsconfigNote = await ensureTsconfig(folder);
  log(`New environment ${file.fsPath}; typings in ${TYPINGS_DIR}; tsconfig.json ${tsconfigNote}.`);
  await vscode.window.showTextDocument(file);
}

async function pickFolder(): Promise<vscode.WorkspaceFolder | undefined> {
  const folders = vscode.workspace.workspaceFolders ?? [];
  if (folders.length === 0) {
    void vscode.window.showInformationMessage(
      "Open a folder first: the new environment, its typings and a tsconfig.json are written into it.",
    );
    return undefined;
  }
  if (folders.length === 1) return folders[0];
  return vscode.window.showWorkspaceFolderPick({ placeHolder: "Workspace folder for the new environment" });
}

/** The runtime's `.d.ts` (built to dist/types/) next to the workspace's own files. */
async function copyTypings(context: vscode.ExtensionContext, folder: vscode.WorkspaceFolder): Promise<void> {
  const source = vscode.Uri.joinPath(context.extensionUri, "dist", "types");
  const target = vscode.Uri.joinPath(folder.uri, ...TYPINGS_DIR.split("/"));
  await vscode.workspace.fs.createDirectory(target);
  for (const [name, type] of await vscode.workspace.fs.readDirectory(source))
    if (type === vscode.FileType.File && name.endsWith(".d.ts"))
      await vscode.workspace.fs.copy(vscode.Uri.joinPath(source, name), vscode.Uri.joinPath(target, name), { overwrite: true });
}

/** Returns what happened to tsconfig.json, for the log. */
async function ensureTsconfig(folder: vscode.WorkspaceFolder): Promise<string> {
  const tsconfig = vscode.Uri.joinPath(folder.uri, "tsconfig.json");
  if (!(await exists(tsconfig))) {
    await vscode.workspace.fs.writeFile(tsconfig, encode(newTsconfig()));
    return "created";
  }
  const update = mergeTsconfig(await readText(tsconfig));
  if (update.kind === "unchanged") return "already maps rl-playground";
  if (update.kind === "merged") {
    await vscode.workspace.fs.writeFile(tsconfig, encode(update.text));
    void vscode.window.showInformationMessage('Added a "paths" entry for rl-playground to tsconfig.json, so the editor finds its types.');
    return "given the rl-playground path mapping";
  }
  const choice = await vscode.window.showWarningMessage(
    `tsconfig.json is not plain JSON, so it was not changed. Add ${update.mapping} to its "compilerOptions" so that "rl-playground" type-checks.`,
    "Open tsconfig.json",
  );
  if (choice) await vscode.window.showTextDocument(tsconfig);
  return "left unchanged (not plain JSON; the user was told what to add)";
}

async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

async function readText(uri: vscode.Uri): Promise<string> {
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}

function encode(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
