/**
 * One code-server instance on a throwaway profile: its own HOME and XDG folders (code-server writes
 * to ~/.config, ~/.local/share and ~/.cache even with --user-data-dir), a user settings.json that keeps
 * the layout clean, the .vsix installed into its own extensions folder. Started in its own process
 * group so that stopping it ends the extension host and the language server with it.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { runLogged, type Tools } from "./tools";

export type Theme = "dark" | "light";

export interface ProfileOptions {
  /** Folder that holds everything of this profile (home, user data, extensions, logs). */
  dir: string;
  theme: Theme;
  /** false: code-server asks whether to trust the folder (the trust-gate scenario). */
  trustEveryFolder: boolean;
}

export const themeNames: Record<Theme, string> = { dark: "Default Dark Modern", light: "Default Light Modern" };

export class CodeServer {
  private child: ChildProcess | undefined;
  port = 0;

  private constructor(
    private readonly tools: Tools,
    readonly options: ProfileOptions,
  ) {}

  get home(): string {
    return path.join(this.options.dir, "home");
  }
  get userDataDir(): string {
    return path.join(this.options.dir, "user-data");
  }
  get extensionsDir(): string {
    return path.join(this.options.dir, "extensions");
  }
  get logFile(): string {
    return path.join(this.options.dir, "code-server.log");
  }
  /** The environment for code-server and the browser: nothing of the real home directory leaks in. */
  get env(): NodeJS.ProcessEnv {
    return {
      PATH: `${path.dirname(this.tools.node)}:${process.env.PATH ?? ""}`,
      HOME: this.home,
      XDG_CONFIG_HOME: path.join(this.home, ".config"),
      XDG_DATA_HOME: path.join(this.home, ".local/share"),
      XDG_CACHE_HOME: path.join(this.home, ".cache"),
      TMPDIR: process.env.TMPDIR ?? "/tmp",
      LANG: "C.UTF-8",
    };
  }

  /** Creates the profile and installs the extension into it (none: a bare VS Code, for exploring selectors). */
  static async create(tools: Tools, vsix: string | undefined, options: ProfileOptions): Promise<CodeServer> {
    const server = new CodeServer(tools, options);
    for (const dir of [server.home, path.join(server.userDataDir, "User"), server.extensionsDir]) fs.mkdirSync(dir, { recursive: true });
    server.writeSettings({});
    if (vsix === undefined) return server;
    await runLogged(tools.node, [tools.codeServerEntry, ...server.profileArgs(), "--install-extension", vsix], {
      cwd: options.dir,
      env: server.env,
      prefix: "  [code-server]",
    });
    return server;
  }

  /** User settings: the defaults that keep screenshots clean, then `extra`. */
  writeSettings(extra: Record<string, unknown>): void {
    const settings = {
      "workbench.startupEditor": "none",
      "chat.disableAIFeatures": true,
      "workbench.secondarySideBar.defaultVisibility": "hidden",
      "telemetry.telemetryLevel": "off",
      "extensions.autoCheckUpdates": false,
      "extensions.autoUpdate": false,
      "update.mode": "none",
      "workbench.colorTheme": themeNames[this.options.theme],
      "workbench.tips.enabled": false,
      "editor.minimap.enabled": false,
      "window.restoreWindows": "all",
      // The web workbench defaults to saving a second after each edit; desktop VS Code does not, and the
      // scenarios check diagnostics on unsaved buffers (and must not leave edits on disk).
      "files.autoSave": "off",
      ...extra,
    };
    fs.writeFileSync(path.join(this.userDataDir, "User", "settings.json"), JSON.stringify(settings, null, 2));
  }

  private profileArgs(): string[] {
    return ["--user-data-dir", this.userDataDir, "--extensions-dir", this.extensionsDir];
  }

  url(folder: string): string {
    return `http://127.0.0.1:${this.port}/?folder=${encodeURIComponent(folder)}`;
  }

  async start(): Promise<void> {
    this.port = await freePort();
    const config = path.join(this.options.dir, "config.yaml");
    fs.writeFileSync(config, "auth: none\ncert: false\n");
    const args = [
      this.tools.codeServerEntry,
      "--config",
      config,
      "--bind-addr",
      `127.0.0.1:${this.port}`,
      "--auth",
      "none",
      ...this.profileArgs(),
      "--disable-telemetry",
      "--disable-update-check",
      "--disable-getting-started-override",
      ...(this.options.trustEveryFolder ? ["--disable-workspace-trust"] : []),
    ];
    const log = fs.openSync(this.logFile, "a");
    this.child = spawn(this.tools.node, args, { cwd: this.options.dir, env: this.env, detached: true, stdio: ["ignore", log, log] });
    fs.closeSync(log);
    await this.waitHealthy(60_000);
  }

  private async waitHealthy(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child?.exitCode !== null) throw new Error(`code-server exited with ${this.child?.exitCode}; see ${this.logFile}`);
      try {
        const response = await fetch(`http://127.0.0.1:${this.port}/healthz`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 250));
    }
    throw new Error(`code-server did not answer /healthz within ${timeoutMs / 1000} s; see ${this.logFile}`);
  }

  /** Kills code-server's whole process group (extension host and language server included): TERM, then KILL. */
  async stop(): Promise<void> {
    const child = this.child;
    if (!child?.pid) return;
    this.child = undefined;
    const group = -child.pid;
    const alive = (): boolean => {
      try {
        process.kill(group, 0);
        return true;
      } catch {
        return false;
      }
    };
    try {
      process.kill(group, "SIGTERM");
    } catch {
      return;
    }
    const deadline = Date.now() + 5_000;
    while (alive() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    if (alive()) process.kill(group, "SIGKILL");
  }

  /** Synchronous last resort for process exit handlers. */
  killNow(): void {
    if (this.child?.pid) {
      try {
        process.kill(-this.child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}
