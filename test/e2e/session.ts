/**
 * The browser and the code-server instances of one run. The main instance trusts every folder
 * (--disable-workspace-trust); the trust-gate scenario asks for a second one that does not.
 * `close()` always stops every code-server it started, whatever failed before.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";
import { CodeServer, type Theme } from "./codeServer";
import { ensureDir } from "./harness";
import type { Tools } from "./tools";
import { Workbench } from "./workbench";
import type { WorkspaceFolder } from "./workspace";

/** `CHROMIUM_PATH` names another Chromium (as for the dashboard tests); Debian's package by default. */
const chromiumPath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";

const chromiumArgs = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

export const viewport = { width: 1440, height: 900 };

export interface SessionOptions {
  runDir: string;
  tools: Tools;
  vsix: string;
  theme: Theme;
  trusted: WorkspaceFolder;
  untrusted: WorkspaceFolder;
}

export class Session {
  private browser: Browser | undefined;
  private readonly servers: CodeServer[] = [];
  private main: CodeServer | undefined;
  page: Page | undefined;
  workbench: Workbench | undefined;

  constructor(readonly options: SessionOptions) {}

  /** Starts the trusted code-server and opens the workspace in a browser page. */
  async start(): Promise<Workbench> {
    this.main = await this.server("trusted", true);
    await this.main.start();
    this.browser = await chromium.launch({ executablePath: chromiumPath, args: chromiumArgs, env: this.main.env });
    this.page = await this.newPage(this.main, this.options.trusted);
    this.workbench = new Workbench(this.page);
    await this.workbench.waitLoaded();
    return this.workbench;
  }

  /** Stops the trusted code-server and its page (the machine runs one instance at a time). */
  async closeMain(): Promise<void> {
    await this.page?.context().close();
    await this.main?.stop();
  }

  /** A fresh profile that asks whether to trust the untrusted workspace, opened in its own page. */
  async openUntrusted(): Promise<Workbench> {
    const server = await this.server("untrusted", false);
    await server.start();
    const page = await this.newPage(server, this.options.untrusted);
    const workbench = new Workbench(page);
    await page.locator(".monaco-workbench").waitFor({ state: "visible", timeout: 60_000 });
    return workbench;
  }

  private async server(name: string, trustEveryFolder: boolean): Promise<CodeServer> {
    const server = await CodeServer.create(this.options.tools, this.options.vsix, {
      dir: ensureDir(path.join(this.options.runDir, `profile-${name}`)),
      theme: this.options.theme,
      trustEveryFolder,
    });
    this.servers.push(server);
    return server;
  }

  private async newPage(server: CodeServer, folder: WorkspaceFolder): Promise<Page> {
    if (!this.browser) throw new Error("browser not started");
    const context = await this.browser.newContext({ viewport, colorScheme: this.options.theme });
    const page = await context.newPage();
    const log = path.join(server.options.dir, "browser-console.log");
    page.on("console", (message) => fs.appendFileSync(log, `[${message.type()}] ${message.text()}\n`));
    page.on("pageerror", (error) => fs.appendFileSync(log, `[pageerror] ${error.message}\n`));
    await page.goto(server.url(folder.dir), { timeout: 60_000 });
    return page;
  }

  /** Where the extension host and language server of the main instance write their logs. */
  logFolders(): string[] {
    return this.servers.map((s) => path.join(s.userDataDir, "logs"));
  }

  async close(): Promise<void> {
    await this.browser?.close().catch(() => undefined);
    for (const server of this.servers) await server.stop();
  }

  killNow(): void {
    for (const server of this.servers) server.killNow();
  }
}
