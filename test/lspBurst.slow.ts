/**
 * Many environment files opened at once (a restored window), over LSP against the built
 * server: the checks share a bounded pool of runners (never more runner processes than the
 * bound, sampled from the server's process tree while the checks run), every file gets its
 * complete verdict, and that verdict is the one a check of the file alone gives (no
 * bundling timeout or other trace of the crowd). The active editor's file, named with
 * `rlPlayground/activeDocument`, is checked before the files queued ahead of it.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { describe, it } from "node:test";
import type { Diagnostic } from "vscode-languageserver-protocol/node";
import { type ActiveDocumentParams } from "../server/src/protocol";
import { ActiveDocumentNotification } from "../server/src/lspMethods";
import { descendants } from "../server/src/sandbox/runnerProcessTree";
import { defaultMaxRunners } from "../server/src/sandbox/hostPool";
import { LSP_FIXTURES, LspSession } from "./lspSession";

const FILES = 50;

/** Runner processes under the server (its own, not those of other servers running tests meanwhile). */
function runnersOf(lsp: LspSession): number {
  return descendants(lsp.child.pid as number).filter((pid) => {
    try {
      const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, "latin1");
      const state = fs.readFileSync(`/proc/${pid}/stat`, "latin1").split(") ")[1]?.[0];
      return cmdline.includes("runnerProcess.js") && state !== "Z";
    } catch {
      return false;
    }
  }).length;
}

/** Samples the number of runners until stopped; returns the most seen at once. */
function sampleRunners(lsp: LspSession): () => number {
  let most = runnersOf(lsp);
  const timer = setInterval(() => (most = Math.max(most, runnersOf(lsp))), 20);
  return () => {
    clearInterval(timer);
    return Math.max(most, runnersOf(lsp));
  };
}

/** `n` copies of a fixture in the workspace. */
function copies(lsp: LspSession, fixture: string, n: number): string[] {
  return Array.from({ length: n }, (_, k) => {
    const file = path.join(lsp.workspace, `copy-${String(k).padStart(2, "0")}.rl.ts`);
    fs.copyFileSync(path.join(LSP_FIXTURES, fixture), file);
    return file;
  });
}

/** What a verdict says, without what differs between copies of a file. */
const verdict = (ds: Diagnostic[]) =>
  ds
    .map((d) => ({ code: d.code, severity: d.severity, range: d.range, message: d.message }))
    .sort((a, b) => String(a.code).localeCompare(String(b.code)));

describe("language server: fifty files opened at once", { timeout: 600_000 }, () => {
  it("checks every one with at most the bound of runners alive, and each verdict is the one a check alone gives", async () => {
    const lsp = await LspSession.start();
    try {
      const bound = defaultMaxRunners();
      const files = copies(lsp, "baseline.rl.ts", FILES);
      const most = sampleRunners(lsp);
      const uris = files.map((f) => lsp.open(f));
      const verdicts = await Promise.all(uris.map((uri) => lsp.diagnosticsFor(uri, 1, 600_000)));
      const seen = most();
      assert.ok(seen <= bound, `${seen} runner processes alive at once; the bound is ${bound}`);

      // The same file checked alone, once the crowd is gone.
      const alone = lsp.open(path.join(lsp.workspace, "alone.rl.ts"), fs.readFileSync(files[0], "utf8"));
      const expected = verdict(await lsp.diagnosticsFor(alone, 1, 120_000));
      assert.ok(
        expected.some((d) => d.code === "baseline-recommended"),
        `alone: ${JSON.stringify(expected.map((d) => d.code))}`,
      );
      for (const [k, ds] of verdicts.entries()) assert.deepEqual(verdict(ds), expected, `copy ${k}`);
    } finally {
      await lsp.dispose();
    }
  });

  it("checks the active editor's file before the files queued ahead of it, within `rlPlayground.maxRunners`", async () => {
    // The bound is the client's setting from the start (pulled per file, as VS Code answers), not
    // pushed after the server started: a push races the first files' checks on a busy machine.
    const lsp = await LspSession.start({ configuration: { maxRunners: 1 } });
    try {
      const files = copies(lsp, "baseline.rl.ts", 12);
      const most = sampleRunners(lsp);
      const uris = files.map((f) => lsp.open(f));
      // Opened tenth: without the notification nine checks would come before it.
      const active = uris[9];
      void lsp.connection.sendNotification(ActiveDocumentNotification.type.method, { uri: active } satisfies ActiveDocumentParams);
      await Promise.all(uris.map((uri) => lsp.diagnosticsFor(uri, 1, 600_000)));
      const seen = most();

      const finals = lsp.diagnostics.filter((p) => uris.includes(p.uri) && !lsp.isInterim(p)).map((p) => p.uri);
      const before = finals.indexOf(active);
      // The one runner may have taken a check before the notification arrived; no other goes first.
      assert.ok(before <= 1, `${before} files got their verdict before the active one: ${finals.map((u) => path.basename(u)).join(", ")}`);
      assert.ok(seen <= 1, `${seen} runner processes alive at once; the setting asks for 1`);
    } finally {
      await lsp.dispose();
    }
  });
});
