/**
 * A transpile error from an older text is withdrawn as soon as the edit that removed it is
 * seen, not when that edit's check is done: the check waits for quiet, for its settings and
 * for a runner, the bundling does not. Here the check of the fixed text is held at its
 * settings (the client does not answer `workspace/configuration` until told to), so only a
 * publish made ahead of the check can withdraw the error while it is held.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { after, before, describe, it } from "node:test";
import type { Diagnostic, PublishDiagnosticsParams } from "vscode-languageserver-protocol/node";
import { LspSession } from "./lspSession";

const codes = (ds: Diagnostic[]) => ds.map((d) => d.code).sort();
/** The step's return without its closing bracket: esbuild's "Expected \"]\"". */
const RETURN = "return [0, action, true, false, {}];";
const BROKEN_RETURN = "return [0, action, true, false, {};";

describe("language server: an edit that removes a transpile error", { timeout: 120_000 }, () => {
  let lsp: LspSession;
  const configuration = { probeBudgetMs: 3000, backend: "wasm" };
  before(async () => {
    lsp = await LspSession.start({ configuration });
  });
  after(async () => {
    await lsp.dispose();
  });

  it("withdraws the error at once, before the check of the new text, and no later publish brings it back", async () => {
    const file = lsp.copyFixture("baseline.rl.ts", "typing.rl.ts");
    const fixedText = fs.readFileSync(file, "utf8");
    assert.ok(fixedText.includes(RETURN));
    const uri = lsp.open(file, fixedText.replace(RETURN, BROKEN_RETURN));
    assert.deepEqual(codes(await lsp.diagnosticsFor(uri, 1, 60_000)), ["transpile-error"]);

    // From now on the server's settings requests wait: the check of the next text cannot start.
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    lsp.connection.onRequest("workspace/configuration", async (p: { items: unknown[] }) => {
      await released;
      return p.items.map(() => configuration);
    });
    void lsp.connection.sendNotification("workspace/didChangeConfiguration", { settings: null });

    const seenBefore = lsp.diagnostics.length;
    const after = () => lsp.diagnostics.slice(seenBefore).filter((p) => p.uri === uri);
    const v2 = lsp.change(uri, fixedText);
    await lsp.waitFor(
      "a publish of the fixed text while its check waits for its settings",
      () => after().some((p) => p.version === v2),
      60_000,
    );
    const first: PublishDiagnosticsParams = after()[0];
    assert.equal(first.version, v2, "the first publish after the edit is of the edited text");
    assert.deepEqual(codes(first.diagnostics), [], "the fixed text's transpile errors: none");

    release();
    const verdict = await lsp.diagnosticsFor(uri, v2, 60_000);
    assert.deepEqual(codes(verdict), ["baseline-recommended"]);
    for (const p of after()) assert.ok(!codes(p.diagnostics).includes("transpile-error"), `v${p.version} still has the old error`);
  });

  it("shows a transpile error the edit made at once too, and the verdict agrees", async () => {
    const file = lsp.copyFixture("baseline.rl.ts", "breaking.rl.ts");
    const uri = lsp.open(file);
    assert.deepEqual(codes(await lsp.diagnosticsFor(uri, 1, 60_000)), ["baseline-recommended"]);
    const v2 = lsp.change(uri, lsp.text(uri).replace(RETURN, BROKEN_RETURN));
    const verdict = await lsp.diagnosticsFor(uri, v2, 60_000);
    assert.deepEqual(codes(verdict), ["transpile-error"]);
    const ofV2 = lsp.diagnostics.filter((p) => p.uri === uri && p.version === v2);
    assert.ok(ofV2.length >= 1);
    for (const p of ofV2) assert.deepEqual(codes(p.diagnostics), ["transpile-error"]);
  });
});
