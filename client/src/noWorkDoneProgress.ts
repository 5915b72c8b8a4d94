/**
 * Tells the server this client shows no server-initiated work-done progress. The status bar
 * item (statusBar.ts) already shows a training's progress, with the backend in its tooltip and
 * a click to the dashboard; the language client would otherwise render the server's
 * `$/progress` as a second item. The server's `createWorkDoneProgress()` then hands out a
 * no-op reporter (vscode-languageserver reads `window.workDoneProgress` at initialize), while
 * other editors that advertise the capability keep getting `$/progress`.
 */
import type { ClientCapabilities, FeatureState, StaticFeature } from "vscode-languageclient";

export class NoWorkDoneProgressFeature implements StaticFeature {
  /** Registered after the client's built-in features, so this runs after its ProgressFeature set the flag. */
  fillClientCapabilities(capabilities: ClientCapabilities): void {
    if (capabilities.window) capabilities.window.workDoneProgress = false;
  }

  initialize(): void {}

  getState(): FeatureState {
    return { kind: "static" };
  }

  clear(): void {}
}
