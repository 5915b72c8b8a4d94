/**
 * Loads the built dashboard (dist/webview) in headless Chromium, in a page that stands in for
 * a VS Code webview: `acquireVsCodeApi` records what the page posts and saves, the body carries
 * VS Code's theme class and a representative set of its `--vscode-*` variables, the panel's
 * Content Security Policy applies (a violation is a page error), and messages
 * from "the extension" arrive as window message events, as in a real webview.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Browser, type Page } from "playwright-core";
import type { DashboardRunInfo, FromWebviewMessage, ToWebviewMessage, UpdateMetrics } from "../../server/src/protocol";
import { parseMetricsJsonl, type RunFolderAccess } from "../../client/src/savedRuns";

export const ROOT = path.resolve(__dirname, "../..");
/** The built page; `RL_DASHBOARD_DIST` points elsewhere (e.g. a private build while others rebuild dist/). */
const DIST = process.env.RL_DASHBOARD_DIST ?? path.join(ROOT, "dist", "webview");

export type ThemeKind = "light" | "dark" | "high-contrast";

/** Colours of VS Code's Light+, Dark+ and High Contrast themes (the variables the page reads). */
const THEMES: Record<ThemeKind, { bodyClass: string; vars: Record<string, string> }> = {
  light: {
    bodyClass: "vscode-light",
    vars: {
      foreground: "#616161",
      "editor-foreground": "#000000",
      "editor-background": "#ffffff",
      descriptionForeground: "#717171",
      "editorWidget-border": "#c8c8c8",
      "editorWidget-background": "#f3f3f3",
      "panel-border": "#80808059",
      focusBorder: "#0090f1",
      "button-background": "#007acc",
      "button-foreground": "#ffffff",
      "button-hoverBackground": "#0062a3",
      "button-secondaryBackground": "#5f6a79",
      "button-secondaryForeground": "#ffffff",
      "dropdown-background": "#ffffff",
      "dropdown-foreground": "#616161",
      "dropdown-border": "#cecece",
      "input-background": "#ffffff",
      "input-foreground": "#616161",
      "textLink-foreground": "#006ab1",
      "editor-selectionBackground": "#add6ff",
      errorForeground: "#a1260d",
      "charts-red": "#e51400",
      "charts-blue": "#1a85ff",
      "charts-yellow": "#bf8803",
      "charts-orange": "#d18616",
      "charts-green": "#388a34",
      "charts-purple": "#652d90",
    },
  },
  dark: {
    bodyClass: "vscode-dark",
    vars: {
      foreground: "#cccccc",
      "editor-foreground": "#d4d4d4",
      "editor-background": "#1e1e1e",
      descriptionForeground: "#ccccccb3",
      "editorWidget-border": "#454545",
      "editorWidget-background": "#252526",
      "panel-border": "#80808059",
      focusBorder: "#007fd4",
      "button-background": "#0e639c",
      "button-foreground": "#ffffff",
      "button-hoverBackground": "#1177bb",
      "button-secondaryBackground": "#3a3d41",
      "button-secondaryForeground": "#ffffff",
      "dropdown-background": "#3c3c3c",
      "dropdown-foreground": "#f0f0f0",
      "dropdown-border": "#3c3c3c",
      "input-background": "#3c3c3c",
      "input-foreground": "#cccccc",
      "textLink-foreground": "#3794ff",
      "editor-selectionBackground": "#264f78",
      errorForeground: "#f48771",
      "charts-red": "#f14c4c",
      "charts-blue": "#3794ff",
      "charts-yellow": "#cca700",
      "charts-orange": "#d18616",
      "charts-green": "#89d185",
      "charts-purple": "#b180d7",
    },
  },
  "high-contrast": {
    bodyClass: "vscode-high-contrast",
    vars: {
      foreground: "#ffffff",
      "editor-foreground": "#ffffff",
      "editor-background": "#000000",
      descriptionForeground: "#ffffffb3",
      "editorWidget-border": "#6fc3df",
      "editorWidget-background": "#0c141f",
      "panel-border": "#6fc3df",
      contrastBorder: "#6fc3df",
      focusBorder: "#f38518",
      "button-background": "#000000",
      "button-foreground": "#ffffff",
      "button-border": "#6fc3df",
      "button-secondaryBackground": "#000000",
      "button-secondaryForeground": "#ffffff",
      "dropdown-background": "#000000",
      "dropdown-foreground": "#ffffff",
      "dropdown-border": "#6fc3df",
      "input-background": "#000000",
      "input-foreground": "#ffffff",
      "input-border": "#6fc3df",
      "textLink-foreground": "#21a6ff",
      "editor-selectionBackground": "#ffffff",
      "charts-red": "#f14c4c",
      "charts-blue": "#3794ff",
      "charts-yellow": "#ffd700",
      "charts-orange": "#d18616",
      "charts-green": "#89d185",
      "charts-purple": "#b180d7",
    },
  },
};

const NONCE = "dGVzdC1ub25jZQ";

function harnessHtml(theme: ThemeKind): string {
  const t = THEMES[theme];
  const vars = Object.entries(t.vars)
    .map(([k, v]) => `--vscode-${k}: ${v};`)
    .join(" ");
  const url = (name: string) => pathToFileURL(path.join(DIST, name)).href;
  // The panel's policy (client/src/dashboardPanel.ts), with file: standing in for webview.cspSource.
  const csp = `default-src 'none'; style-src file: 'nonce-${NONCE}'; script-src 'nonce-${NONCE}'; img-src file: data:; font-src file:`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<style nonce="${NONCE}">html { --vscode-font-family: system-ui, sans-serif; --vscode-font-size: 13px; ${vars} }</style>
<link rel="stylesheet" nonce="${NONCE}" href="${url("main.css")}">
</head><body class="${t.bodyClass}"><div id="app"></div><script nonce="${NONCE}" src="${url("main.js")}"></script></body></html>`;
}

/**
 * Runs in the page before its scripts: the stand-in for VS Code's webview API. A string, not a
 * function: tsx compiles test functions with esbuild's keepNames, whose `__name` helper does
 * not exist in the page; the same shim lets `page.evaluate` callbacks run there.
 */
function vsCodeStandIn(initialState: unknown): string {
  return `
    window.__name = (f) => f;
    window.posted = [];
    window.savedState = ${JSON.stringify(initialState ?? null)} ?? undefined;
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => window.posted.push(JSON.parse(JSON.stringify(m))),
      getState: () => window.savedState,
      setState: (s) => { window.savedState = JSON.parse(JSON.stringify(s)); return s; },
    });`;
}

/**
 * The page-side names the callbacks passed to `page.evaluate` use. Those callbacks run in the
 * page, but are type-checked with the repository's Node-only config (no DOM lib), so each
 * starts with `const { document, window } = globalThis as unknown as PageGlobals`.
 */
export interface PageElement {
  dataset: Record<string, string | undefined>;
  textContent: string | null;
  getAttribute(name: string): string | null;
}
export interface PageGlobals {
  document: {
    querySelector(selector: string): PageElement | null;
    querySelectorAll(selector: string): Iterable<PageElement> & ArrayLike<PageElement>;
  };
  window: {
    postMessage(message: unknown, targetOrigin: string): void;
    dispatchEvent(event: unknown): boolean;
    posted: FromWebviewMessage[];
    savedState: unknown;
  };
  Event: new (type: string) => unknown;
  requestAnimationFrame(callback: () => void): number;
  performance: {
    clearMeasures(name: string): void;
    getEntriesByName(name: string): Array<{ duration: number; detail?: unknown }>;
  };
}

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
    args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
  });
}

export interface DashboardPage {
  page: Page;
  /** Uncaught errors in the page. */
  errors: string[];
  send(message: unknown): Promise<void>;
  posted(): Promise<FromWebviewMessage[]>;
  savedState(): Promise<unknown>;
  /** Wait until the page has drawn the messages sent so far (two animation frames). */
  settle(): Promise<void>;
}

export async function openDashboard(
  browser: Browser,
  options: { theme?: ThemeKind; state?: unknown; width?: number; height?: number } = {},
): Promise<DashboardPage> {
  if (!fs.existsSync(path.join(DIST, "main.js"))) throw new Error("dist/webview/main.js is missing: run `npm run build` first");
  const dir = fs.mkdtempSync(path.join(runDir(), "page-"));
  const file = path.join(dir, "index.html");
  fs.writeFileSync(file, harnessHtml(options.theme ?? "dark"));
  const page = await browser.newPage({ viewport: { width: options.width ?? 1200, height: options.height ?? 2400 } });
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  // Content Security Policy violations are reported as console errors.
  page.on("console", (m) => {
    if (m.type() === "error") errors.push(m.text());
  });
  await page.addInitScript({ content: vsCodeStandIn(options.state) });
  await page.goto(pathToFileURL(file).href);
  const dashboard: DashboardPage = {
    page,
    errors,
    send: (message) =>
      page.evaluate((m) => {
        const { window } = globalThis as unknown as PageGlobals;
        window.postMessage(m, "*");
      }, message),
    posted: () => page.evaluate(() => (globalThis as unknown as PageGlobals).window.posted),
    savedState: () => page.evaluate(() => (globalThis as unknown as PageGlobals).window.savedState),
    settle: () =>
      page.evaluate(() => {
        const { requestAnimationFrame } = globalThis as unknown as PageGlobals;
        return new Promise<void>((resolve) => setTimeout(() => requestAnimationFrame(() => requestAnimationFrame(() => resolve())), 0));
      }),
  };
  await dashboard.settle();
  return dashboard;
}

/** The recorded CartPole run: every progress row of `train --json`, and its summary. */
export function cartpoleFixture(): { metrics: UpdateMetrics[]; info: DashboardRunInfo } {
  const text = fs.readFileSync(path.join(ROOT, "test", "fixtures", "metrics", "cartpole-seed0.jsonl"), "utf8");
  const summary = JSON.parse(text.trim().split("\n").at(-1) ?? "{}");
  return {
    metrics: parseMetricsJsonl(text),
    info: {
      runId: "run-1",
      uri: "file:///work/examples/cartpole.rl.ts",
      environment: "CartPole",
      backend: summary.backend,
      settings: summary.settings,
      rewardThreshold: 475,
      actionSpace: { kind: "discrete", n: 2 },
      source: "live",
      runDir: null,
    },
  };
}

/** Run and sweep folders on this machine's disk, as the extension reads the workspace's. */
export function diskRunFolders(): RunFolderAccess {
  return {
    findSummaries: async () => [],
    readText: async (file) => fs.readFileSync(file, "utf8"),
    mtime: async (file) => fs.statSync(file).mtimeMs,
    environmentUri: async (file) => (fs.existsSync(file) ? pathToFileURL(file).href : null),
  };
}

/**
 * A sweep of examples/cartpole.rl.ts laid out as `rl-playground sweep` leaves it (sweep.json in
 * the Python writer's format, runs/<grid point>-seed<n>/): learningRate 0.01 and 0.03, seeds 1..3.
 * Each trial holds the first 6 rows of cartpole-seed0.jsonl, returns offset by 10·seed and
 * learningRate 0.01's halved; sweep.json names the run folders where the sweep ran, elsewhere.
 */
export const SWEEP_FIXTURE = path.join(ROOT, "test", "fixtures", "sweep");

/** Stream a run the way the extension does: started, progress (one update per message), ended. */
export async function streamRun(d: DashboardPage, info: DashboardRunInfo, metrics: UpdateMetrics[], ended = true): Promise<void> {
  const messages: ToWebviewMessage[] = [
    { type: "runStarted", run: info },
    ...metrics.map((m): ToWebviewMessage => ({ type: "progress", runId: info.runId, metrics: [m] })),
  ];
  if (ended) messages.push({ type: "runEnded", runId: info.runId, reason: "solved" });
  for (const m of messages) await d.send(m);
  await d.settle();
}

let run: string | undefined;

/**
 * This run's folder, made fresh under the system temp folder on first use: the pages' scratch
 * files and the screenshots. A shared fixed folder would mix (or overwrite) the screenshots of
 * runs made at the same time, and show an older run's pictures when this one took none.
 */
export function runDir(): string {
  run ??= fs.mkdtempSync(path.join(os.tmpdir(), "rl-dashboard-test-"));
  return run;
}

export function screenshotDir(): string {
  const dir = path.join(runDir(), "screenshots");
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
