/**
 * The language server over stdio, as an editor sees it: diagnostics on open and on edit
 * (only the latest version of a burst), hovers with the probe's statistics, diagnostics
 * in imported files, closing, and every quick fix removing its diagnostic.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Diagnostic } from "vscode-languageserver-protocol/node";
import { type StatusParams } from "../server/src/protocol";
import { StatusNotification } from "../server/src/lspMethods";
import { lineOf } from "./helpers";
import { delay, LspSession } from "./lspSession";

const codes = (ds: Diagnostic[]) => ds.map((d) => d.code).sort();

describe("language server: diagnostics, hover, quick fixes", { timeout: 120_000 }, () => {
  let lsp: LspSession;
  before(async () => {
    lsp = await LspSession.start();
    // A budget the bandit fixtures never reach: their probe stops at its cap of 256 episodes,
    // and with its fixed seeds it then measures the same numbers on every run, however busy the machine.
    lsp.configure({ probeBudgetMs: 3000 });
  });
  after(async () => {
    await lsp.dispose();
  });

  it("publishes a fixture's diagnostics on open, with codes and ranges", async () => {
    const file = lsp.copyFixture("baseline.rl.ts");
    const uri = lsp.open(file);
    const diagnostics = await lsp.diagnosticsFor(uri, 1);
    assert.deepEqual(codes(diagnostics), ["baseline-recommended"]);
    const text = lsp.text(uri);
    const line = lineOf(text, "return [0, action");
    const character = text.split("\n")[line].indexOf("action");
    assert.deepEqual(diagnostics[0].range, { start: { line, character }, end: { line, character: character + "action".length } });
    assert.equal(diagnostics[0].source, "rl-playground");
  });

  it("replaces them after an edit", async () => {
    const uri = lsp.open(lsp.copyFixture("baseline.rl.ts", "edited.rl.ts"));
    assert.deepEqual(codes(await lsp.diagnosticsFor(uri, 1)), ["baseline-recommended"]);
    const version = lsp.change(uri, lsp.text(uri).replace('baseline: "none"', 'baseline: "mean"'));
    assert.deepEqual(await lsp.diagnosticsFor(uri, version), []);
  });

  it("publishes only for the last version of a fast burst of edits", async () => {
    const uri = lsp.open(lsp.copyFixture("baseline.rl.ts", "burst.rl.ts"));
    await lsp.diagnosticsFor(uri, 1);
    const before = lsp.diagnostics.length;
    const original = lsp.text(uri);
    let last = 1;
    for (let i = 0; i < 6; i++) {
      // Alternate between a file with the warning and one without.
      last = lsp.change(uri, i % 2 ? original : original.replace('baseline: "none"', 'baseline: "mean"'));
      await delay(20);
    }
    const final = await lsp.diagnosticsFor(uri, last);
    assert.deepEqual(codes(final), ["baseline-recommended"]);
    // No wait for "nothing else": the server publishes a version only while the document is at it, and
    // messages arrive in order, so every publish of an older version came before this one.
    const published = lsp.diagnostics.slice(before).filter((p) => p.uri === uri && !lsp.isInterim(p));
    assert.deepEqual(
      published.map((p) => p.version),
      [last],
    );
  });

  it("hovers the statistics on `step` when there is no reward export", async () => {
    const file = lsp.copyFixture("baseline.rl.ts", "hover-step.rl.ts");
    const uri = lsp.open(file);
    await lsp.diagnosticsFor(uri, 1);
    const text = lsp.text(uri);
    const line = lineOf(text, "step(action");
    const hover = await lsp.hover(uri, line, text.split("\n")[line].indexOf("step") + 1);
    const value = (hover?.contents as { value: string }).value;
    assert.match(value, /Reward, as the probe saw it/);
    assert.match(value, /return per episode \| [\d.]+ ± [\d.]+ \(min 0, max 2\)/, "the arms pay 0, 1 and 2");
    assert.equal(await lsp.hover(uri, lineOf(text, "maxEpisodeSteps"), 4), null, "no hover elsewhere");
  });

  it("hovers the statistics and reward terms on the `reward` export", async () => {
    const file = path.join(lsp.workspace, "grid.rl.ts");
    fs.copyFileSync(path.join(__dirname, "..", "examples", "gridworld.rl.ts"), file);
    const uri = lsp.open(file);
    await lsp.diagnosticsFor(uri, 1);
    const text = lsp.text(uri);
    const line = lineOf(text, "export function reward");
    const hover = await lsp.hover(uri, line, text.split("\n")[line].indexOf("reward") + 2);
    const value = (hover?.contents as { value: string }).value;
    assert.match(value, /Reward, as the probe saw it/);
    assert.match(value, /`progress`/);
  });

  it("publishes a diagnostic placed in an imported file to that file's URI", async () => {
    lsp.copyFixture("lib/shaky.ts");
    const uri = lsp.open(lsp.copyFixture("imports-shaky.rl.ts"));
    const libUri = uri.replace("imports-shaky.rl.ts", "lib/shaky.ts");
    const inLib = await lsp.diagnosticsFor(libUri);
    assert.deepEqual(codes(inLib), ["user-code-threw"]);
    const libText = fs.readFileSync(path.join(lsp.workspace, "lib", "shaky.ts"), "utf8");
    assert.equal(inLib[0].range.start.line, lineOf(libText, "MARK: throw"));
    assert.deepEqual(await lsp.diagnosticsFor(uri, 1), [], "the environment file itself is fine");
  });

  it("clears a document's diagnostics when it is closed", async () => {
    const uri = lsp.open(lsp.copyFixture("baseline.rl.ts", "closed.rl.ts"));
    await lsp.diagnosticsFor(uri, 1);
    const before = lsp.diagnostics.length;
    lsp.close(uri);
    await lsp.waitFor("cleared diagnostics", () => lsp.diagnostics.slice(before).some((p) => p.uri === uri && p.diagnostics.length === 0));
  });

  for (const [fixture, code, expected] of [
    ["baseline.rl.ts", "baseline-recommended", /baseline: "mean"/],
    ["noisy.rl.ts", "gradient-noise", /episodesPerUpdate: \d+/],
    ["random-reset.rl.ts", "nondeterministic-reset", /this\.start = this\.rng\(\) \* 2 - 1/],
    ["not-default.rl.ts", "missing-environment", /export default class Forgotten/],
    ["typo.rl.ts", "invalid-training", /\n  learningRate: 0\.05,\n/],
  ] as const)
    it(`quick fix for ${code}: the edit, applied, removes the diagnostic on the next check`, async () => {
      const uri = lsp.open(lsp.copyFixture(fixture, `fix-${fixture}`));
      const diagnostics = await lsp.diagnosticsFor(uri, 1);
      const target = diagnostics.filter((d) => d.code === code);
      assert.equal(target.length, 1, `expected ${code}, got ${codes(diagnostics).join(", ")}`);
      const all = await lsp.codeActions(uri, target);
      assert.ok(all.length >= 2 && all.every((a) => a.kind === "quickfix"));
      // Silencing the diagnostic comes last, after every fix of its cause.
      assert.match(all[all.length - 1].title, new RegExp(`^Ignore ${code} here`));
      const actions = all.slice(0, -1);
      // gradient-noise offers N = ⌈noiseScale⌉ (design §5) and N = ⌈2·noiseScale⌉; apply the second.
      if (code === "gradient-noise") {
        const noiseScale = (target[0].data as { noiseScale: number }).noiseScale;
        assert.match(lsp.applyEdit(uri, actions[0].edit!), new RegExp(`episodesPerUpdate: ${Math.max(2, Math.ceil(noiseScale))},`));
      }
      const fixed = lsp.applyEdit(uri, actions[actions.length - 1].edit!);
      assert.match(fixed, expected);
      const version = lsp.change(uri, fixed);
      const after = await lsp.diagnosticsFor(uri, version);
      assert.ok(!after.some((d) => d.code === code), `${code} is still there: ${after.map((d) => d.message).join("; ")}`);
      assert.ok(!after.some((d) => d.code === "transpile-error"), "the fixed file compiles");
    });

  it("offers CodeLens Train and Check above the environment class", async () => {
    const uri = lsp.open(lsp.copyFixture("baseline.rl.ts", "lens.rl.ts"));
    const lenses: Array<{ range: { start: { line: number } }; command?: { title: string; command: string; arguments?: unknown[] } }> =
      await lsp.connection.sendRequest("textDocument/codeLens", { textDocument: { uri } });
    assert.deepEqual(
      lenses.map((l) => [l.command?.title, l.command?.command, l.command?.arguments]),
      [
        ["▶ Train", "rlPlayground.train", [uri]],
        ["Check", "rlPlayground.check", [uri]],
      ],
    );
    assert.equal(lenses[0].range.start.line, lineOf(lsp.text(uri), "export default class"));
  });
});

describe("language server: a check that fails in the engine", { timeout: 120_000 }, () => {
  it("says so in the file, as a check-failed warning, instead of leaving it looking clean", async () => {
    // Native TensorFlow forced in the settings, on a machine where it cannot load.
    const lsp = await LspSession.start({ env: { RL_PLAYGROUND_NO_NATIVE: "1" } });
    try {
      lsp.configure({ backend: "tensorflow" });
      const uri = lsp.open(lsp.copyFixture("baseline.rl.ts"));
      const diagnostics = await lsp.diagnosticsFor(uri, 1);
      assert.deepEqual(
        diagnostics.map((d) => [d.code, d.severity]),
        [["check-failed", 2]],
      );
      assert.match(String(diagnostics[0].message), /could not check this file: .*tensorflow/i);
      // Written for the editor: it names the setting, links its code to it, and gives no command-line advice.
      const message = String(diagnostics[0].message);
      assert.match(message, /the backend set in rlPlayground\.backend \("tensorflow"\) cannot load/);
      assert.match(message, /Set rlPlayground\.backend to "auto"/);
      assert.doesNotMatch(message, /--backend|npm (run|ci)|\.\./);
      assert.equal(diagnostics[0].codeDescription?.href, "command:workbench.action.openSettings?%5B%22rlPlayground.backend%22%5D");
      // The status agrees: no backend, and why.
      const status = lsp.notificationsOf<StatusParams>(StatusNotification.type.method).at(-1)!;
      assert.equal(status.backend, null);
      assert.match(status.backendProblem ?? "", /rlPlayground\.backend/);
      // The settings put right, the next check is an ordinary one.
      lsp.configure({ backend: "wasm" });
      const version = lsp.change(uri, lsp.text(uri) + "\n");
      assert.deepEqual(codes(await lsp.diagnosticsFor(uri, version)), ["baseline-recommended"]);
    } finally {
      await lsp.dispose();
    }
  });
});
