/**
 * The client's capability override (client/src/noWorkDoneProgress.ts): applied after the
 * language client's own ProgressFeature, the server is told this client shows no work-done
 * progress, so vscode-languageserver's createWorkDoneProgress() returns a no-op reporter.
 */
import { test } from "node:test";
import * as assert from "node:assert/strict";
import type { ClientCapabilities } from "vscode-languageclient";
import { NoWorkDoneProgressFeature } from "../client/src/noWorkDoneProgress";

test("the feature turns off the window.workDoneProgress the client's ProgressFeature turned on, and leaves the rest", () => {
  const capabilities: ClientCapabilities = { window: { workDoneProgress: true, showMessage: {} }, general: {} };
  new NoWorkDoneProgressFeature().fillClientCapabilities(capabilities);
  assert.deepEqual(capabilities, { window: { workDoneProgress: false, showMessage: {} }, general: {} });
});
