/**
 * The TypeScript editor type-checks environment files only when something maps
 * `"rl-playground"` to the runtime's typings. This module writes them into a workspace
 * folder: the `.d.ts` (built to dist/types/) into `.rl-playground/types/rl-playground/`, and a
 * `tsconfig.json` path mapping (a new tsconfig, or the mapping added to a plain-JSON one; a
 * tsconfig with comments is left alone and the user is told what to add). On activation it
 * offers this for folders with environment files and no mapping, and refreshes typings it
 * wrote earlier when the extension's runtime has changed.
 */
import * as vscode from "vscode";
import { TYPINGS_FILE, mergeTsconfig, newTsconfig } from "./scaffold";
import { filesGlob } from "./settings";

const NEVER_ASK_KEY = "rlPlayground.typings.neverAsk";

/** Writes the typings and the mapping; returns what happened to tsconfig.json, for the log. */
export async function setUpTypings(context: vscode.ExtensionContext, folder: vscode.WorkspaceFolder): Promise<string> {
  await copyTypings(context, folder);
  return ensureTsconfig(folder);
}

/** On activation: refresh typings written earlier, and offer them where they are missing. */
export async function offerTypings(context: vscode.ExtensionContext, log: (message: string) => void): Promise<void> {
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const typings = vscode.Uri.joinPath(folder.uri, ...TYPINGS_FILE.split("/"));
    if (await exists(typings)) {
      if ((await readText(typings)) !== (await readText(shippedTypings(context)))) {
        await copyTypings(context, folder);
        log(`Updated ${TYPINGS_FILE} in ${folder.name} to this version of the runtime.`);
      }
      continue;
    }
    if (context.workspaceState.get<boolean>(NEVER_ASK_KEY) || (await mapsRuntime(folder))) continue;
    const environments = await vscode.workspace.findFiles(
      new vscode.RelativePattern(folder, filesGlob(folder.uri)),
      "**/node_modules/**",
      1,
    );
    if (environments.length === 0) continue;
    const choice = await vscode.window.showInformationMessage(
      `TypeScript cannot resolve "rl-playground" in ${folder.name}, so environment files show type errors. Add its typings (${TYPINGS_FILE}) and a tsconfig.json path mapping?`,
      "Add Typings",
      "Not Now",
      "Never for This Workspace",
    );
    if (choice === "Add Typings") log(`Typings added to ${folder.name}; tsconfig.json ${await setUpTypings(context, folder)}.`);
    else if (choice === "Never for This Workspace") await context.workspaceState.update(NEVER_ASK_KEY, true);
  }
}

/** A tsconfig.json or jsconfig.json that already names the module (by a mapping of the user's own). */
async function mapsRuntime(folder: vscode.WorkspaceFolder): Promise<boolean> {
  for (const name of ["tsconfig.json", "jsconfig.json"]) {
    const uri = vscode.Uri.joinPath(folder.uri, name);
    if ((await exists(uri)) && (await readText(uri)).includes('"rl-playground"')) return true;
  }
  return exists(vscode.Uri.joinPath(folder.uri, "node_modules", "rl-playground"));
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
