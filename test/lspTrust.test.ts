/**
 * Workspace Trust (design §6): started untrusted, the server runs no user code (a file
 * that writes a marker when loaded leaves none), checks statically, says so once, refuses
 * to train; `rlPlayground/trustChanged` turns everything on without a restart.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { StartTrainingRequest, StatusNotification, TrustChangedNotification } from "../server/src/lspMethods";
import { lineOf } from "./helpers";
import { LspSession } from "./lspSession";

describe("language server: an untrusted workspace", { timeout: 120_000 }, () => {
  let lsp: LspSession;
  before(async () => {
    lsp = await LspSession.start({ initializationOptions: { trusted: false } });
  });
  after(async () => {
    await lsp.dispose();
  });

  it("runs no user code, checks statically, says why once, and comes alive when trust is granted", async () => {
    const file = lsp.copyFixture("writes-marker.rl.ts");
    const marker = path.join(lsp.workspace, "marker.txt");
    const uri = lsp.open(file);
    assert.deepEqual(await lsp.diagnosticsFor(uri, 1), []);

    // Static checks still work: a compile error, and a class that is not the default export.
    const broken = lsp.change(uri, lsp.text(uri).replace("maxEpisodeSteps = 1;", "maxEpisodeSteps = ;"));
    assert.deepEqual(
      (await lsp.diagnosticsFor(uri, broken)).map((d) => d.code),
      ["transpile-error"],
    );
    const notDefault = lsp.open(lsp.copyFixture("not-default.rl.ts"));
    const missing = await lsp.diagnosticsFor(notDefault, 1);
    assert.deepEqual(
      missing.map((d) => d.code),
      ["missing-environment"],
    );
    assert.equal(missing[0].range.start.line, lineOf(lsp.text(notDefault), "export class Forgotten"));
    const repaired = lsp.change(uri, lsp.text(uri).replace("maxEpisodeSteps = ;", "maxEpisodeSteps = 1;"));
    await lsp.diagnosticsFor(uri, repaired);

    const hover = await lsp.hover(uri, lineOf(lsp.text(uri), "  step(action"), 3);
    assert.match((hover?.contents as { value: string }).value, /trusted/);
    await assert.rejects(lsp.connection.sendRequest(StartTrainingRequest.type.method, { uri }), /trust/);
    // Untrusted, the server starts no runner at all (nothing could load the file later): every check so far
    // has published, and the refusal has been answered.
    assert.equal(fs.existsSync(marker), false, "no user code ran");
    assert.equal(lsp.messages.filter((m) => /not trusted/.test(m)).length >= 1, true, "the server says why");
    assert.equal(
      lsp.notificationsOf<{ message: string }>(StatusNotification.type.method).filter((s) => /not trusted/.test(s.message)).length,
      1,
      "once",
    );

    // Trust granted: the probe runs (and with it the file's code), without a restart.
    const before = lsp.diagnostics.length;
    void lsp.connection.sendNotification(TrustChangedNotification.type.method, { trusted: true });
    await lsp.waitFor("a check after trust", () => lsp.diagnostics.slice(before).some((p) => p.uri === uri && !lsp.isInterim(p)), 30_000);
    assert.equal(fs.existsSync(marker), true, "the probe loaded the file");
    const trustedHover = await lsp.hover(uri, lineOf(lsp.text(uri), "  step(action"), 3);
    assert.match((trustedHover?.contents as { value: string }).value, /Reward, as the probe saw it/);
  });
});
