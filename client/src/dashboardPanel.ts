/**
 * The training dashboard's host side: one webview panel that draws the runs the language
 * server streams. The client wires it: it forwards the server's notifications to the static
 * methods below and implements `DashboardHost`.
 *
 * The panel keeps a history of the runs since activation, so a panel opened (or reopened)
 * mid-run is filled in at once; the page keeps its own view state with `setState` and comes
 * back after a reload through the `WebviewPanelSerializer`.
 */
import * as vscode from "vscode";
import { randomBytes } from "node:crypto";
import {
  FromWebviewMessageSchema,
  progressUpdates,
  validate,
  type DashboardRunInfo,
  type FromWebviewMessage,
  type PlaybackParams,
  type PlaybackResult,
  type StatusParams,
  type ToWebviewMessage,
  type TrainingEndedParams,
  type TrainingProgressParams,
  type TrainingSettingsPatch,
  type TrainingStartedParams,
  type UpdateMetrics,
} from "../../server/src/protocol";
import { appendBounded } from "./metricsHistory";
import { findSavedRuns, readSavedRuns } from "./savedRuns";

/** What the dashboard needs from the rest of the extension (the client implements it). */
export interface DashboardHost {
  /** Start training the file (request `rlPlayground/startTraining`); `settings` override the file's. */
  train(uri: string, settings?: TrainingSettingsPatch): Promise<void>;
  /** Stop a run (request `rlPlayground/stopTraining`). */
  stop(runId: string): Promise<void>;
  /** One episode of the current (or last) policy (request `rlPlayground/playback`). */
  playback(params: PlaybackParams): Promise<PlaybackResult>;
  /** Save settings into the file's `training` export (request `rlPlayground/editTraining`, the edit applied and saved). */
  editTraining(uri: string, settings: TrainingSettingsPatch): Promise<void>;
  /** A line for the output channel. */
  log(message: string): void;
}

interface RunRecord {
  info: DashboardRunInfo;
  metrics: UpdateMetrics[];
  ended: TrainingEndedParams | null;
}

/** Runs kept for a panel opened later; beyond this many the oldest are forgotten. */
const MAX_RUNS_KEPT = 20;
/** Progress is batched to one message per this many ms (about a frame at 20 updates/s). */

export class DashboardPanel {
  static readonly viewType = "rlPlayground.dashboard";
  private static current: DashboardPanel | undefined;
  private static readonly runs = new Map<string, RunRecord>();

  private readonly disposables: vscode.Disposable[] = [];
  /** The page has loaded and said so: until then messages would reach no listener (it gets the history on "ready"). */
  private pageReady = false;

  /** Show the dashboard, creating it if needed. */
  static createOrShow(context: vscode.ExtensionContext, host: DashboardHost): DashboardPanel {
    if (DashboardPanel.current) {
      DashboardPanel.current.panel.reveal(undefined, true);
      return DashboardPanel.current;
    }
    const panel = vscode.window.createWebviewPanel(
      DashboardPanel.viewType,
      "RL Training Dashboard",
      { viewColumn: vscode.ViewColumn.Beside, preserveFocus: true },
      webviewOptions(context),
    );
    DashboardPanel.current = new DashboardPanel(panel, context, host);
    return DashboardPanel.current;
  }

  /** Restores the panel after a window reload; the page restores its own state with `getState`. */
  static registerSerializer(context: vscode.ExtensionContext, host: DashboardHost): vscode.Disposable {
    return vscode.window.registerWebviewPanelSerializer(DashboardPanel.viewType, {
      async deserializeWebviewPanel(panel: vscode.WebviewPanel) {
        panel.webview.options = webviewOptions(context);
        DashboardPanel.current?.dispose();
        DashboardPanel.current = new DashboardPanel(panel, context, host);
      },
    });
  }

  /** Forward of notification `rlPlayground/trainingStarted`. */
  static trainingStarted(p: TrainingStartedParams): void {
    const info: DashboardRunInfo = {
      runId: p.runId,
      uri: p.uri,
      environment: p.environment,
      backend: p.backend,
      settings: p.settings,
      rewardThreshold: p.rewardThreshold,
      actionSpace: p.actionSpace,
      source: "live",
      runDir: null,
      // A run of a seed group names it (servers that train seed groups send it; older ones do not).
      ...(p.groupId ? { groupId: p.groupId } : {}),
    };
    DashboardPanel.remember({ info, metrics: [], ended: null });
    DashboardPanel.current?.post({ type: "runStarted", run: info });
  }

  /** Forward of notification `rlPlayground/trainingProgress`. */
  static trainingProgress(p: TrainingProgressParams): void {
    const record = DashboardPanel.runs.get(p.runId);
    if (record) for (const m of progressUpdates(p)) appendBounded(record.metrics, m);
    // The live page gets every update, as the notification arrives: the server sends at most
    // one a run every 50 ms (the one throttle between a training and the page), and the page
    // draws once per animation frame however many updates came in.
    DashboardPanel.current?.postProgress(p.runId, progressUpdates(p));
  }

  /** Forward of notification `rlPlayground/trainingEnded`. */
  static trainingEnded(p: TrainingEndedParams): void {
    const record = DashboardPanel.runs.get(p.runId);
    if (record) {
      record.ended = p;
      if (p.runDir) record.info = { ...record.info, runDir: p.runDir };
      if (p.summary) record.info = { ...record.info, backend: p.summary.backend };
    }
    const panel = DashboardPanel.current;
    if (!panel) return;
    panel.post({ type: "runEnded", runId: p.runId, reason: p.reason, message: p.message, runDir: p.runDir });
  }

  /** Forward of notification `rlPlayground/status`. */
  static status(p: StatusParams): void {
    DashboardPanel.current?.post({ type: "status", backend: p.backend, message: p.message });
  }

  private static remember(record: RunRecord): void {
    DashboardPanel.runs.set(record.info.runId, record);
    while (DashboardPanel.runs.size > MAX_RUNS_KEPT) {
      const oldest = DashboardPanel.runs.keys().next().value;
      if (oldest === undefined) break;
      DashboardPanel.runs.delete(oldest);
    }
  }

  private constructor(
    private readonly panel: vscode.WebviewPanel,
    private readonly context: vscode.ExtensionContext,
    private readonly host: DashboardHost,
  ) {
    panel.webview.html = dashboardHtml(panel.webview, context.extensionUri);
    panel.onDidDispose(() => this.dispose(), null, this.disposables);
    panel.webview.onDidReceiveMessage((raw: unknown) => this.receive(raw), null, this.disposables);
    // Shown again after being hidden, the page reloads and will say "ready" anew.
    panel.onDidChangeViewState(
      () => {
        if (!panel.visible) this.pageReady = false;
      },
      null,
      this.disposables,
    );
  }

  dispose(): void {
    if (DashboardPanel.current === this) DashboardPanel.current = undefined;
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }

  private post(message: ToWebviewMessage): void {
    if (this.pageReady) void this.panel.webview.postMessage(message);
  }

  private postProgress(runId: string, metrics: UpdateMetrics[]): void {
    // A hidden page is gone (no retainContextWhenHidden); when shown it reloads and gets the history replayed.
    if (this.panel.visible) this.post({ type: "progress", runId, metrics });
  }

  private receive(raw: unknown): void {
    const checked = validate(FromWebviewMessageSchema, raw);
    if (!checked.ok) {
      this.host.log(`Dashboard: dropped a malformed message from the page (${checked.error}).`);
      return;
    }
    this.handle(checked.value).catch((err: unknown) =>
      this.host.log(`Dashboard: ${checked.value.type} failed: ${err instanceof Error ? err.message : String(err)}`),
    );
  }

  private async handle(message: FromWebviewMessage): Promise<void> {
    switch (message.type) {
      case "ready":
        this.pageReady = true;
        this.replayHistory();
        return;
      case "stop":
        return this.host.stop(message.runId);
      case "train":
        if (message.writeBack && message.settings) await this.host.editTraining(message.uri, message.settings);
        return this.host.train(message.uri, message.settings);
      case "playback": {
        const { requestId, type: _type, ...params } = message;
        const result = await this.host.playback(params).catch((err: unknown): PlaybackResult => ({
          ok: false,
          reason: "error",
          message: err instanceof Error ? err.message : String(err),
        }));
        this.post({ type: "playback", requestId, result });
        return;
      }
      case "listRuns":
        this.post({ type: "savedRuns", runs: await findSavedRuns(workspaceFiles()) });
        return;
      case "openRun": {
        // A sweep folder opens as many runs, one seed group per grid point.
        for (const loaded of await readSavedRuns(workspaceFiles(), message.runDir)) {
          this.post({ type: "runLoaded", run: loaded.info, metrics: loaded.metrics, reason: loaded.reason });
        }
        return;
      }
      case "trainSeeds":
        await vscode.commands.executeCommand("rlPlayground.trainSeeds", vscode.Uri.parse(message.uri), message.seeds);
        return;
      case "export":
        return this.saveExport(message.name, message.format, message.data);
      case "log":
        this.host.log(`Dashboard: ${message.message}`);
        return;
    }
  }

  /** The page cannot save files: the user picks where, and the host writes the chart or the CSV there. */
  private async saveExport(name: string, format: "png" | "svg" | "csv", data: string): Promise<void> {
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const filters: Record<string, string[]> = { [format === "csv" ? "CSV" : `${format.toUpperCase()} image`]: [format] };
    const target = await vscode.window.showSaveDialog({
      title: format === "csv" ? "Save the run's metrics" : "Save the chart",
      defaultUri: folder ? vscode.Uri.joinPath(folder, name) : undefined,
      filters,
    });
    if (!target) return;
    const bytes = format === "png" ? Buffer.from(data, "base64") : new TextEncoder().encode(data);
    await vscode.workspace.fs.writeFile(target, bytes);
    this.host.log(`Dashboard: saved ${target.fsPath}.`);
  }

  /** Everything since activation, for a page that has just (re)loaded. */
  private replayHistory(): void {
    for (const r of DashboardPanel.runs.values()) {
      this.post({ type: "runLoaded", run: r.info, metrics: r.metrics, reason: r.ended?.reason ?? null });
    }
  }
}

function webviewOptions(context: vscode.ExtensionContext): vscode.WebviewPanelOptions & vscode.WebviewOptions {
  return {
    enableScripts: true,
    localResourceRoots: [vscode.Uri.joinPath(context.extensionUri, "dist", "webview")],
  };
}

/** The page: the bundled script and stylesheet only, under a CSP that admits nothing else. */
function dashboardHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const nonce = randomBytes(16).toString("base64");
  const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, "dist", "webview", name)).toString();
  const csp = [
    "default-src 'none'",
    `style-src ${webview.cspSource} 'nonce-${nonce}'`,
    `script-src 'nonce-${nonce}'`,
    `img-src ${webview.cspSource} data:`,
    `font-src ${webview.cspSource}`,
  ].join("; ");
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" nonce="${nonce}" href="${asset("main.css")}">
<title>RL Training Dashboard</title>
</head>
<body>
<div id="app"></div>
<script nonce="${nonce}" src="${asset("main.js")}"></script>
</body>
</html>`;
}

/** The workspace's file system, as the saved-runs reader needs it. */
function workspaceFiles() {
  return {
    async findSummaries(): Promise<string[]> {
      const found = await vscode.workspace.findFiles("**/.rl-playground/runs/*/summary.json", "**/node_modules/**", 200);
      return found.map((u) => u.fsPath);
    },
    async findSweeps(): Promise<string[]> {
      // Anywhere, not only under .rl-playground/sweeps: `sweep --out` may put one elsewhere; the schema check drops other sweep.json files.
      const found = await vscode.workspace.findFiles("**/sweep.json", "**/node_modules/**", 50);
      return found.map((u) => u.fsPath);
    },
    async readText(file: string): Promise<string> {
      return new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.file(file)));
    },
    async mtime(file: string): Promise<number> {
      return (await vscode.workspace.fs.stat(vscode.Uri.file(file))).mtime;
    },
    async environmentUri(file: string): Promise<string | null> {
      const uri = vscode.Uri.file(file);
      return vscode.workspace.fs.stat(uri).then(
        () => uri.toString(),
        () => null,
      );
    },
  };
}
