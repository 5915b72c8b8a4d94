/**
 * What "RL: New Environment" writes learns and is quiet in the editor: the template, as
 * scaffolded, trains to its own threshold, and the language server publishes no diagnostic on
 * it (no information either) in a workspace with no tsconfig and no typings.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { trainEnvironment } from "../server/src/api";
import { planNewEnvironment } from "../client/src/scaffold";
import { ROOT } from "./helpers";
import { LspSession } from "./lspSession";

const TEMPLATE = fs.readFileSync(path.join(ROOT, "templates", "environment.rl.ts"), "utf8");

test("the template trains to its threshold (seed 0, cpu)", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rl-template-"));
  try {
    const { writes } = planNewEnvironment(TEMPLATE, "corridor");
    for (const w of writes) fs.writeFileSync(path.join(dir, w.path), w.text);
    const result = await trainEnvironment(path.join(dir, writes[0].path), { backend: "cpu", settings: { seed: 0 }, runDir: null });
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.summary.solved, true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the language server publishes no diagnostic at all on the template as New Environment writes it", { timeout: 120_000 }, async () => {
  const lsp = await LspSession.start();
  try {
    const { writes, open } = planNewEnvironment(TEMPLATE, "corridor");
    for (const w of writes) fs.writeFileSync(path.join(lsp.workspace, w.path), w.text);
    assert.deepEqual(fs.readdirSync(lsp.workspace), ["corridor.rl.ts"]);
    const uri = lsp.open(path.join(lsp.workspace, open.path));
    const diagnostics = await lsp.diagnosticsFor(uri, 1, 90_000);
    assert.deepEqual(
      diagnostics.map((d) => `${d.severity} ${String(d.code)}: ${d.message}`),
      [],
    );
  } finally {
    await lsp.dispose();
  }
});
