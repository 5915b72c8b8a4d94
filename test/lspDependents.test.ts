/**
 * An environment file that imports a helper is checked again when the helper changes: on
 * disk (`workspace/didChangeWatchedFiles`), in an open editor (`didChange`: the check
 * bundles the editor's unsaved text, not the disk's), and when that editor is closed
 * without saving (the disk's text counts again). Over LSP against the built server.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { pathToFileURL } from "node:url";
import { after, before, describe, it } from "node:test";
import { FileChangeType, type Diagnostic } from "vscode-languageserver-protocol/node";
import { LspSession } from "./lspSession";

const codes = (ds: Diagnostic[]) => ds.map((d) => d.code).sort();

describe("language server: a changed helper re-checks the environments that import it", { timeout: 300_000 }, () => {
  let lsp: LspSession;
  let env: string;
  let helper: string;
  let helperFile: string;

  before(async () => {
    lsp = await LspSession.start();
    env = lsp.open(lsp.copyFixture("uses-helper.rl.ts"));
    helperFile = lsp.copyFixture("lib/helper.ts");
    helper = pathToFileURL(helperFile).toString();
  });
  after(async () => {
    await lsp.dispose();
  });

  /** The next complete verdict of the environment published after the `from`-th publish. */
  async function nextVerdict(from: number, what: string): Promise<Diagnostic[]> {
    const find = () => lsp.diagnostics.slice(from).find((p) => p.uri === env && !lsp.isInterim(p));
    await lsp.waitFor(what, () => find() !== undefined, 120_000);
    return find()!.diagnostics;
  }

  it("a change on disk: the environment's verdict follows the helper", async () => {
    assert.deepEqual(codes(await lsp.diagnosticsFor(env, 1, 120_000)), [], "three arms: a valid environment");
    const from = lsp.diagnostics.length;
    fs.writeFileSync(helperFile, fs.readFileSync(helperFile, "utf8").replace("ARMS = 3", "ARMS = 0"));
    void lsp.connection.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri: helper, type: FileChangeType.Changed }] });
    assert.deepEqual(codes(await nextVerdict(from, "the verdict after the helper changed on disk")), ["invalid-space"]);
  });

  it("an edit in the helper's editor, unsaved: the check bundles the editor's text", async () => {
    // Opened as on disk (no arms): nothing changes, nothing is checked again.
    lsp.open(helperFile);
    const from = lsp.diagnostics.length;
    lsp.change(helper, lsp.text(helper).replace("ARMS = 0", "ARMS = 2"));
    assert.deepEqual(codes(await nextVerdict(from, "the verdict after the helper's buffer changed")), []);
    assert.match(fs.readFileSync(helperFile, "utf8"), /ARMS = 0/, "the disk still says no arms");
  });

  it("the helper's editor closed without saving: the disk's text counts again", async () => {
    const from = lsp.diagnostics.length;
    lsp.close(helper);
    assert.deepEqual(codes(await nextVerdict(from, "the verdict after the helper's editor closed")), ["invalid-space"]);
  });

  it("the helper fixed on disk: the error goes", async () => {
    const from = lsp.diagnostics.length;
    fs.writeFileSync(helperFile, fs.readFileSync(helperFile, "utf8").replace("ARMS = 0", "ARMS = 3"));
    void lsp.connection.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri: helper, type: FileChangeType.Changed }] });
    assert.deepEqual(codes(await nextVerdict(from, "the verdict after the helper was fixed on disk")), []);
  });
});
