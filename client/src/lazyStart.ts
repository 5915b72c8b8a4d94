/**
 * When to start the language server. The extension activates on any TypeScript file
 * (`onLanguage:typescript`, because `workspaceContains` can time out on a large or busy
 * workspace), so activation itself stays cheap: the server starts once an environment file is
 * open, or a search of the workspace finds one, or a command needs it (ServerConnection.ready).
 */
import * as vscode from "vscode";
import { filesGlob, isEnvironmentDocument } from "./settings";

export class LazyStart implements vscode.Disposable {
  private triggered = false;
  private readonly onOpen: vscode.Disposable;

  constructor(
    private readonly start: () => Promise<void>,
    private readonly log: (message: string) => void,
  ) {
    this.onOpen = vscode.workspace.onDidOpenTextDocument((document) => {
      if (isEnvironmentDocument(document)) void this.trigger("an environment file was opened");
    });
  }

  /**
   * Starts now (and waits for it) when an environment file is already open; else looks for
   * one in the workspace in the background and starts when it finds one.
   */
  async begin(): Promise<void> {
    if (vscode.workspace.textDocuments.some(isEnvironmentDocument)) return this.trigger("an environment file is open");
    void findEnvironment().then(
      (found) => (found ? this.trigger(`the workspace has ${vscode.workspace.asRelativePath(found)}`) : undefined),
      (error: unknown) => this.log(`Searching the workspace for environment files failed: ${String(error)}`),
    );
  }

  private async trigger(reason: string): Promise<void> {
    if (this.triggered) return;
    this.triggered = true;
    this.onOpen.dispose();
    this.log(`Starting the language server: ${reason}.`);
    await this.start();
  }

  dispose(): void {
    this.onOpen.dispose();
  }
}

/** One environment file of any workspace folder (by that folder's glob), or undefined. */
async function findEnvironment(): Promise<vscode.Uri | undefined> {
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    const [found] = await vscode.workspace.findFiles(new vscode.RelativePattern(folder, filesGlob(folder.uri)), "**/node_modules/**", 1);
    if (found) return found;
  }
  return undefined;
}
