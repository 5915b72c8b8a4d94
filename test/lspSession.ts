/**
 * A minimal LSP client for the language-server tests and the benchmark: starts the built
 * `dist/server.js --stdio` as a child process and speaks LSP to it over its pipes.
 */
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import {
  createProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  type CodeAction,
  type Diagnostic,
  type Hover,
  type NotificationType,
  type ProtocolConnection,
  type PublishDiagnosticsParams,
  type WorkspaceEdit,
} from "vscode-languageserver-protocol/node";
import { type InitializationOptions, type StatusParams } from "../server/src/protocol";
import { SERVER_NOTIFICATIONS, StatusNotification } from "../server/src/lspMethods";
import { ROOT } from "./helpers";

export const LSP_FIXTURES = path.join(ROOT, "test", "fixtures", "lsp");
/** The built server; `RL_LSP_SERVER` points the tests at another build. */
export const SERVER_SCRIPT = process.env.RL_LSP_SERVER ?? path.join(ROOT, "dist", "server.js");

interface Waiter {
  test: () => boolean;
  resolve: () => void;
}

export class LspSession {
  readonly diagnostics: PublishDiagnosticsParams[] = [];
  /** Custom notifications received, by method. */
  readonly notifications = new Map<string, unknown[]>();
  readonly workDoneProgress: unknown[] = [];
  readonly messages: string[] = [];
  /** Every notification from the server, in the order received. */
  readonly events: Array<{ method: string; params: unknown }> = [];
  /** The documents the last `rlPlayground/status` said are being measured. */
  measuring = new Set<string>();
  /** Publishes received while their document was being measured: what was certain, not the verdict. */
  private readonly interimPublishes = new WeakSet<PublishDiagnosticsParams>();
  private readonly waiters = new Set<Waiter>();
  private readonly versions = new Map<string, number>();
  private readonly texts = new Map<string, string>();

  private constructor(
    readonly connection: ProtocolConnection,
    readonly child: ChildProcess,
    readonly workspace: string,
  ) {
    connection.onNotification("textDocument/publishDiagnostics", (p: PublishDiagnosticsParams) =>
      this.record("textDocument/publishDiagnostics", p, () => {
        if (this.measuring.has(p.uri)) this.interimPublishes.add(p);
        this.diagnostics.push(p);
      }),
    );
    for (const { method } of SERVER_NOTIFICATIONS.map((n) => n.type))
      connection.onNotification(method, (p: unknown) =>
        this.record(method, p, () => {
          this.notifications.set(method, [...(this.notifications.get(method) ?? []), p]);
          if (method === StatusNotification.type.method) this.measuring = new Set((p as StatusParams).measuring ?? []);
        }),
      );
    connection.onNotification("$/progress", (p: unknown) => this.record("$/progress", p, () => this.workDoneProgress.push(p)));
    for (const method of ["window/logMessage", "window/showMessage"])
      connection.onNotification(method, (p: { message: string }) => this.record(method, p, () => this.messages.push(p.message)));
    connection.onRequest("window/workDoneProgress/create", () => null);
    connection.onRequest("client/registerCapability", () => null);
  }

  /**
   * A server over stdio with `workspace` as its one folder (a fresh temporary folder by default).
   * With `configuration` the client answers `workspace/configuration` with it for every item, as
   * VS Code does (the server then pulls settings instead of taking pushed ones).
   */
  static async start(
    options: {
      workspace?: string;
      initializationOptions?: InitializationOptions;
      env?: Record<string, string>;
      configuration?: Record<string, unknown>;
    } = {},
  ): Promise<LspSession> {
    const workspace = options.workspace ?? fs.mkdtempSync(path.join(os.tmpdir(), "rl-lsp-"));
    const child = spawn(process.execPath, [SERVER_SCRIPT, "--stdio"], {
      stdio: ["pipe", "pipe", "inherit"],
      env: { ...process.env, ...options.env },
    });
    const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const session = new LspSession(connection, child, workspace);
    const { configuration } = options;
    if (configuration) connection.onRequest("workspace/configuration", (p: { items: unknown[] }) => p.items.map(() => configuration));
    connection.listen();
    await connection.sendRequest("initialize", {
      processId: process.pid,
      rootUri: pathToFileURL(workspace).toString(),
      workspaceFolders: [{ uri: pathToFileURL(workspace).toString(), name: "workspace" }],
      capabilities: { window: { workDoneProgress: true }, ...(configuration ? { workspace: { configuration: true } } : {}) },
      initializationOptions: options.initializationOptions,
    });
    await connection.sendNotification("initialized", {});
    return session;
  }

  /** Copies fixtures (paths relative to test/fixtures/lsp) into the workspace; returns the copy's path. */
  copyFixture(name: string, as = name): string {
    const target = path.join(this.workspace, as);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    fs.copyFileSync(path.join(LSP_FIXTURES, name), target);
    return target;
  }

  open(file: string, text = fs.readFileSync(file, "utf8")): string {
    const uri = pathToFileURL(file).toString();
    this.versions.set(uri, 1);
    this.texts.set(uri, text);
    void this.connection.sendNotification("textDocument/didOpen", { textDocument: { uri, languageId: "typescript", version: 1, text } });
    return uri;
  }

  /** Replaces the whole text; returns the new version. */
  change(uri: string, text: string): number {
    const version = (this.versions.get(uri) ?? 1) + 1;
    this.versions.set(uri, version);
    this.texts.set(uri, text);
    void this.connection.sendNotification("textDocument/didChange", { textDocument: { uri, version }, contentChanges: [{ text }] });
    return version;
  }

  /** Pushes `rlPlayground.*` settings (this client has no `workspace/configuration`). */
  configure(settings: Record<string, unknown>): void {
    void this.connection.sendNotification("workspace/didChangeConfiguration", { settings: { rlPlayground: settings } });
  }

  close(uri: string): void {
    void this.connection.sendNotification("textDocument/didClose", { textDocument: { uri } });
  }

  text(uri: string): string {
    return this.texts.get(uri) ?? "";
  }

  hover(uri: string, line: number, character: number): Promise<Hover | null> {
    return this.connection.sendRequest("textDocument/hover", { textDocument: { uri }, position: { line, character } });
  }

  codeActions(uri: string, diagnostics: Diagnostic[]): Promise<CodeAction[]> {
    const range = diagnostics[0]?.range ?? { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } };
    return this.connection.sendRequest("textDocument/codeAction", { textDocument: { uri }, range, context: { diagnostics } });
  }

  /** The edits of a workspace edit for `uri`, applied to the session's copy of its text. */
  applyEdit(uri: string, edit: WorkspaceEdit): string {
    const edits = edit.changes?.[uri] ?? [];
    const text = this.text(uri);
    const starts = [0];
    for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
    const offset = (p: { line: number; character: number }) => (starts[p.line] ?? text.length) + p.character;
    let out = text;
    for (const e of [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start)))
      out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
    return out;
  }

  /** Resolves when `test` holds (checked on every message received), or fails after `timeoutMs`. */
  waitFor(what: string, test: () => boolean, timeoutMs = 20_000): Promise<void> {
    if (test()) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        test,
        resolve: () => {
          clearTimeout(timer);
          resolve();
        },
      };
      const timer = setTimeout(() => {
        this.waiters.delete(waiter);
        reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`));
      }, timeoutMs);
      this.waiters.add(waiter);
    });
  }

  /** Whether `p` was published while its document was being measured (the certain part, before the verdict). */
  isInterim(p: PublishDiagnosticsParams): boolean {
    return this.interimPublishes.has(p);
  }

  /** The first complete diagnostics published for `uri` at `version` (with no version: at any), skipping interim ones. */
  async diagnosticsFor(uri: string, version?: number, timeoutMs?: number): Promise<Diagnostic[]> {
    const find = () =>
      this.diagnostics.find((p) => p.uri === uri && (version === undefined || p.version === version) && !this.isInterim(p));
    await this.waitFor(`diagnostics of ${path.basename(uri)} v${version ?? "any"}`, () => find() !== undefined, timeoutMs);
    return find()!.diagnostics;
  }

  /** The notifications received of one method (a notification's definition gives their type). */
  notificationsOf<T>(method: string): T[];
  notificationsOf<T>(notification: { type: NotificationType<T> }): T[];
  notificationsOf<T>(which: string | { type: NotificationType<T> }): T[] {
    return (this.notifications.get(typeof which === "string" ? which : which.type.method) ?? []) as T[];
  }

  async dispose(): Promise<void> {
    try {
      await Promise.race([this.connection.sendRequest("shutdown"), delay(2000)]);
      await this.connection.sendNotification("exit");
    } catch {
      // The server may already be gone.
    }
    this.connection.dispose();
    await Promise.race([new Promise((r) => this.child.once("exit", r)), delay(2000)]);
    if (this.child.exitCode === null) this.child.kill("SIGKILL");
    fs.rmSync(this.workspace, { recursive: true, force: true });
  }

  private record(method: string, params: unknown, add: () => void): void {
    this.events.push({ method, params });
    add();
    for (const w of [...this.waiters])
      if (w.test()) {
        this.waiters.delete(w);
        w.resolve();
      }
  }
}

export function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
