/**
 * The status the server sends carries the backend line of the active editor's file: a check of
 * another file (in the background, or the one last trained) does not replace it, and switching
 * editors brings that file's line back.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type ActiveDocumentParams, type StatusParams } from "../server/src/protocol";
import { ActiveDocumentNotification, StatusNotification } from "../server/src/lspMethods";
import { LspSession } from "./lspSession";

describe("language server: the status names the active file's backend", { timeout: 120_000 }, () => {
  let lsp: LspSession;
  before(async () => {
    lsp = await LspSession.start();
  });
  after(async () => {
    await lsp.dispose();
  });

  const statuses = () => (lsp.notifications.get(StatusNotification.type.method) ?? []) as StatusParams[];
  const lastBackendLine = () =>
    statuses()
      .filter((s) => s.backend !== undefined)
      .at(-1)?.message;
  const activate = (uri: string) =>
    void lsp.connection.sendNotification(ActiveDocumentNotification.type.method, { uri } satisfies ActiveDocumentParams);

  it("keeps the active file's line while another file is checked, and follows the active editor", async () => {
    // Two actions and three: policies of different sizes, so their backend lines differ.
    const pair = lsp.open(lsp.copyFixture("noisy.rl.ts", "pair.rl.ts"));
    activate(pair);
    await lsp.diagnosticsFor(pair, 1);
    const pairLine = lastBackendLine();
    assert.match(pairLine ?? "", /RL Playground: backend /);

    const arms = lsp.open(lsp.copyFixture("baseline.rl.ts", "arms.rl.ts"));
    await lsp.diagnosticsFor(arms, 1);
    // The status of the background check, if any, came before its diagnostics.
    assert.equal(lastBackendLine(), pairLine, "the active file's line stays while another file is checked");

    activate(arms);
    await lsp.waitFor("the status of the file made active", () => lastBackendLine() !== pairLine);
    const armsLine = lastBackendLine()!;
    assert.match(armsLine, /RL Playground: backend /);

    activate(pair);
    await lsp.waitFor("the first file's line again", () => lastBackendLine() === pairLine);
  });
});
