/**
 * The TypeScript editor type-checks environment files only when something maps
 * `"rl-playground"` to the runtime's typings. This module writes them into a workspace
 * folder: the `.d.ts` (built to dist/types/) into `.rl-playground/types/rl-playground/`, and a
 * `tsconfig.json` path mapping (a new tsconfig, or the mapping added to a plain-JSON one; a
 * tsconfig with comments is left alone and the user is told what to add), for `tsc` on the
 * command line. On activation it refreshes typings it wrote earlier when the extension's
 * runtime has changed.
 */
import * as vscode from "vscode";
import { TYPINGS_FILE, mergeTsconfig, newTsconfig } from "./scaffold";

/** Writes the typings and the mapping; returns what happened to tsconfig.json, for the log. */
export async function setUpTypings(context: vscode.ExtensionContext, folder: vscode.WorkspaceFolder): Promise<string> {
  await copyTypings(context, folder);
  return ensureTsconfig(folder);
}

/**
 * On activation: refresh typings written earlier by "RL: Add Editor Typings". Nothing is
 * offered: the editor resolves "rl-playground" through the TypeScript server plugin
 * (client/tsPlugin/); the command stays for `tsc` on the command line.
 */
export async function refreshTypings(context: vscode.ExtensionContext, log: (message: string) => void): Promise<void> {
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const typings = vscode.Uri.joinPath(folder.uri, ...TYPINGS_FILE.split("/"));
    if (!(await exists(typings))) continue;
    if ((await readText(typings)) !== (await readText(shippedTypings(context)))) {
      await copyTypings(context, folder);
      log(`Updated ${TYPINGS_FILE} in ${folder.name} to this version of the runtime.`);
    }
  }
}

function shippedTypings(context: vscode.ExtensionContext): vscode.Uri {
  return vscode.Uri.joinPath(context.extensionUri, "dist", "types", "index.d.ts");
}

async function copyTypings(context: vscode.ExtensionContext, folder: vscode.WorkspaceFolder): Promise<void> {
  const target = vscode.Uri.joinPath(folder.uri, ...TYPINGS_FILE.split("/"));
  await vscode.workspace.fs.createDirectory(vscode.Uri.joinPath(target, ".."));
  await vscode.workspace.fs.copy(shippedTypings(context), target, { overwrite: true });
}

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

export async function exists(uri: vscode.Uri): Promise<boolean> {
  try {
    await vscode.workspace.fs.stat(uri);
    return true;
  } catch {
    return false;
  }
}

export async function readText(uri: vscode.Uri): Promise<string> {
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}

export function encode(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}
