/**
 * The client's capability override (client/src/noWorkDoneProgress.ts): applied after the
 * language client's own ProgressFeature, the server is told this client shows no work-done
 * progress, so vscode-languageserver's createWorkDoneProgress() returns a no-op reporter.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import { PassThrough } from "node:stream";
import type { ClientCapabilities } from "vscode-languageclient";
import { createMessageConnection, StreamMessageReader, StreamMessageWriter } from "vscode-jsonrpc/node";
import { InitializeRequest, WorkDoneProgress, WorkDoneProgressCreateRequest, createConnection } from "vscode-languageserver/node";
import { NoWorkDoneProgressFeature } from "../client/src/noWorkDoneProgress";

test("the feature turns off the window.workDoneProgress the client's ProgressFeature turned on, and leaves the rest", () => {
  const capabilities: ClientCapabilities = { window: { workDoneProgress: true, showMessage: {} }, general: {} };
  new NoWorkDoneProgressFeature().fillClientCapabilities(capabilities);
  assert.deepEqual(capabilities, { window: { workDoneProgress: false, showMessage: {} }, general: {} });
});

test("a server whose client advertised no work-done progress creates no $/progress; one that did, does", async () => {
  for (const advertised of [false, true]) {
    const toServer = new PassThrough();
    const toClient = new PassThrough();
    const server = createConnection(new StreamMessageReader(toServer), new StreamMessageWriter(toClient));
    const client = createMessageConnection(new StreamMessageReader(toClient), new StreamMessageWriter(toServer));
    const methods: string[] = [];
    client.onRequest(WorkDoneProgressCreateRequest.type, ({ token }) => {
      methods.push(WorkDoneProgressCreateRequest.method);
      client.onProgress(WorkDoneProgress.type, token, () => {
        methods.push("$/progress");
      });
    });
    client.onRequest("test/flush", () => null);
    server.onInitialize(() => ({ capabilities: {} }));
    server.listen();
    client.listen();
    try {
      await client.sendRequest(InitializeRequest.type, {
        processId: null,
        rootUri: null,
        capabilities: { window: { workDoneProgress: advertised } },
      });
      const reporter = await server.window.createWorkDoneProgress();
      reporter.begin("Training", 0, "starting", true);
      reporter.report(50, "update 1");
      reporter.done();
      // A round trip after the reports: everything the server sent before it has arrived.
      await server.sendRequest("test/flush");
      assert.deepEqual(methods, advertised ? [WorkDoneProgressCreateRequest.method, "$/progress", "$/progress", "$/progress"] : []);
    } finally {
      client.dispose();
      server.dispose();
    }
  }
});
