/**
 * The client's view of the `rlPlayground.*` settings, read per resource each time (the
 * server reads its own through `workspace/configuration`).
 */
import * as vscode from "vscode";
import type { DocumentSelector } from "vscode-languageclient";

export const SECTION = "rlPlayground";
const DEFAULT_FILES = "**/*.rl.ts";

/** The `rlPlayground.files` glob that applies to a resource (a folder or a file). */
export function filesGlob(scope?: vscode.Uri): string {
  const value = vscode.workspace.getConfiguration(SECTION, scope).get<unknown>("files");
  return typeof value === "string" && value.trim() ? value : DEFAULT_FILES;
}

interface EnvironmentFilter {
  scheme: "file" | "untitled";
  /** Relative to this folder when set; else over any path. */
  folder?: vscode.WorkspaceFolder;
  glob: string;
}

/**
 * The documents the language server sees: in each workspace folder, the files matching that
 * folder's glob (relative to it); without folders, the user's glob over any path.
 */
function environmentFilters(): EnvironmentFilter[] {
  const folders = vscode.workspace.workspaceFolders ?? [];
  const onDisk: EnvironmentFilter[] = folders.length
    ? folders.map((folder) => ({ scheme: "file", folder, glob: filesGlob(folder.uri) }))
    : [{ scheme: "file", glob: filesGlob() }];
  return [...onDisk, { scheme: "untitled", glob: filesGlob() }];
}

/** For the language client (LSP's document filters: a relative pattern names its base by URI). */
export function environmentSelector(): DocumentSelector {
  return environmentFilters().map(({ scheme, folder, glob }) => ({
    scheme,
    pattern: folder ? { baseUri: folder.uri.toString(), pattern: glob } : glob,
  }));
}

/** Languages of the files an environment can import: their open buffers are what a check bundles. */
const IMPORTABLE_LANGUAGES = ["typescript", "typescriptreact", "javascript", "javascriptreact", "json"];

/**
 * The documents synced to the server: the environment files, and every TypeScript,
 * JavaScript or JSON file on disk, so that an environment importing one is bundled with its
 * unsaved text and checked again when it changes. The server checks the environment files
 * only.
 */
export function documentSelector(): DocumentSelector {
  return [...environmentSelector(), ...IMPORTABLE_LANGUAGES.map((language) => ({ scheme: "file", language }))];
}

/** Files whose change on disk can change a check: anything an environment can import. */
export const IMPORTABLE_FILES = "**/*.{ts,mts,js,mjs,json}";

export function isEnvironmentDocument(document: vscode.TextDocument): boolean {
  const filters = environmentFilters().map(({ scheme, folder, glob }) => ({
    scheme,
    pattern: folder ? new vscode.RelativePattern(folder, glob) : glob,
  }));
  return vscode.languages.match(filters, document) > 0;
}
