/**
 * `dist/server.js` speaks LSP over Node IPC (`--node-ipc`, as the VS Code client starts it)
 * as well as over stdio (the other suites). Untrusted, so no runner starts: a quick check.
 */
import assert from "node:assert/strict";
import { fork } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { describe, it } from "node:test";
import {
  createProtocolConnection,
  IPCMessageReader,
  IPCMessageWriter,
  type InitializeResult,
  type PublishDiagnosticsParams,
} from "vscode-languageserver-protocol/node";
import { LSP_FIXTURES, SERVER_SCRIPT } from "./lspSession";

describe("language server transports", { timeout: 60_000 }, () => {
  it("serves over --node-ipc", async () => {
    const workspace = fs.mkdtempSync(path.join(os.tmpdir(), "rl-lsp-ipc-"));
    const child = fork(SERVER_SCRIPT, ["--node-ipc"], { stdio: ["ignore", "ignore", "inherit", "ipc"] });
    const connection = createProtocolConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
    try {
      const published = new Promise<PublishDiagnosticsParams>((resolve) =>
        connection.onNotification("textDocument/publishDiagnostics", resolve),
      );
      connection.listen();
      const init: InitializeResult = await connection.sendRequest("initialize", {
        processId: process.pid,
        rootUri: pathToFileURL(workspace).toString(),
        capabilities: {},
        initializationOptions: { trusted: false },
      });
      assert.equal(init.serverInfo?.name, "rl-playground");
      assert.ok(init.capabilities.hoverProvider && init.capabilities.codeActionProvider && init.capabilities.codeLensProvider);
      await connection.sendNotification("initialized", {});
      const file = path.join(workspace, "not-default.rl.ts");
      fs.copyFileSync(path.join(LSP_FIXTURES, "not-default.rl.ts"), file);
      const uri = pathToFileURL(file).toString();
      await connection.sendNotification("textDocument/didOpen", {
        textDocument: { uri, languageId: "typescript", version: 1, text: fs.readFileSync(file, "utf8") },
      });
      const diagnostics = await published;
      assert.equal(diagnostics.uri, uri);
      assert.deepEqual(
        diagnostics.diagnostics.map((d) => d.code),
        ["missing-environment"],
      );
      await connection.sendRequest("shutdown");
      await connection.sendNotification("exit");
    } finally {
      connection.dispose();
      if (child.exitCode === null) child.kill();
      fs.rmSync(workspace, { recursive: true, force: true });
    }
  });
});
