/**
 * An explicit "Check" (the server command the client's Check command and CodeLens call) is
 * answered with what was checked and found, once the verdict of the document's text is
 * published: "no problems · 256 episodes · SNR 2.5 at 16 episodes/update" on a clean file, the
 * counts when there are problems, and the log says so with the check's time.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type CheckReport, ServerCommands } from "../server/src/protocol";
import { LspSession } from "./lspSession";

describe("language server: an explicit check answers with what it checked", { timeout: 120_000 }, () => {
  let lsp: LspSession;
  before(async () => {
    lsp = await LspSession.start();
    lsp.configure({ probeBudgetMs: 3000 });
  });
  after(async () => {
    await lsp.dispose();
  });

  const check = (uri: string) =>
    lsp.connection.sendRequest<CheckReport | null>("workspace/executeCommand", { command: ServerCommands.recheck, arguments: [uri] });

  it("on a clean file: no problems, the probe's episodes and the SNR at episodes per update, after the verdict", async () => {
    const uri = lsp.open(lsp.copyFixture("baseline.rl.ts", "clean.rl.ts"));
    await lsp.diagnosticsFor(uri, 1, 60_000);
    const version = lsp.change(uri, lsp.text(uri).replace('baseline: "none"', 'baseline: "mean"'));
    const published = lsp.diagnostics.length;
    const report = await check(uri);
    assert.ok(report, "a report");
    assert.equal(report.version, version);
    // The verdict it describes was published before the answer came.
    assert.ok(
      lsp.diagnostics
        .slice(published)
        .some((p) => p.uri === uri && p.version === version && !lsp.isInterim(p) && p.diagnostics.length === 0),
    );
    assert.equal(report.errors + report.warnings + report.notes, 0);
    assert.equal(report.episodes, 256);
    assert.equal(report.episodesPerUpdate, 16);
    assert.match(report.summary, /^no problems · 256 episodes · SNR [\d.]+ at 16 episodes\/update$/);
    assert.ok(lsp.messages.some((m) => m.includes("clean.rl.ts (version") && m.includes(report.summary) && / in \d+ ms/.test(m)));
  });

  it("with problems: their counts, and no statistics when the file does not compile", async () => {
    const uri = lsp.open(lsp.copyFixture("baseline.rl.ts", "problems.rl.ts"));
    await lsp.diagnosticsFor(uri, 1, 60_000);
    const warned = await check(uri);
    assert.match(warned!.summary, /^1 note · 256 episodes · SNR/);
    lsp.change(uri, lsp.text(uri).replace("return [0, action, true, false, {}];", "return [0, action, true, false, {};"));
    const broken = await check(uri);
    assert.equal(broken!.errors, 1);
    assert.equal(broken!.summary, "1 error · the probe did not run (the errors come first)");
  });
});
