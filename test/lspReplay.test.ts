/**
 * "Replay failing episode": a failure found while sampling offers a code action that replays its
 * shrunk episode in a runner, writes every step to the output channel, and says how it ended.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { CancellationTokenSource } from "vscode-languageserver";
import { ClientCommands, MAX_FUZZ_EPISODES, ServerCommands, type FuzzReport } from "../server/src/protocol";
import { lineOf } from "./helpers";
import { LspSession } from "./lspSession";

describe("language server: replaying a failing episode, fuzzing", { timeout: 120_000 }, () => {
  let lsp: LspSession;
  before(async () => {
    lsp = await LspSession.start();
    lsp.configure({ probeBudgetMs: 3000 });
  });
  after(async () => {
    await lsp.dispose();
  });

  it("offers the replay on the failure, and the replay reproduces it step by step", async () => {
    const uri = lsp.open(lsp.copyFixture("../throw-after-pattern.rl.ts", "throw-after-pattern.rl.ts"));
    const diagnostics = await lsp.diagnosticsFor(uri, 1, 60_000);
    const threw = diagnostics.filter((d) => d.code === "user-code-threw");
    assert.equal(threw.length, 1);
    const actions = await lsp.codeActions(uri, threw);
    const replay = actions.find((a) => a.command?.command === ServerCommands.replayEpisode);
    assert.ok(replay, JSON.stringify(actions.map((a) => a.title)));
    assert.match(replay.title, /^Replay failing episode \(7 actions from seed \d+\)/);
    const logged = lsp.messages.length;
    const report = await lsp.connection.sendRequest<{ steps: number; failed: boolean; code: string | null }>(
      "workspace/executeCommand",
      replay.command,
    );
    // Six steps complete; the seventh throws.
    assert.deepEqual(report, { steps: 6, failed: true, code: "user-code-threw" });
    const log = lsp.messages.slice(logged);
    assert.equal(log.filter((m) => /^ {2}step \d+: action \d/.test(m)).length, 6);
    assert.ok(
      log.some((m) => /then user-code-threw: step\(\) threw Error: the pattern came up/.test(m)),
      log.join("\n"),
    );
  });

  it("offers to debug the failure beside the replay: the client's command, with the episode and the failing line", async () => {
    const uri = lsp.open(lsp.copyFixture("../throw-after-pattern.rl.ts", "debug-pattern.rl.ts"));
    const diagnostics = await lsp.diagnosticsFor(uri, 1, 60_000);
    const threw = diagnostics.filter((d) => d.code === "user-code-threw");
    assert.equal(threw.length, 1);
    const actions = await lsp.codeActions(uri, threw);
    const titles = actions.map((a) => a.title);
    const replayAt = titles.findIndex((t) => t.startsWith("Replay failing episode"));
    const debugAt = titles.findIndex((t) => t.startsWith("Debug failing episode"));
    assert.ok(replayAt >= 0 && debugAt === replayAt + 1, JSON.stringify(titles));
    const debug = actions[debugAt];
    assert.match(debug.title, /^Debug failing episode \(7 actions from seed \d+\)$/);
    assert.equal(debug.command?.command, ClientCommands.debugEpisode);
    const [argUri, episode, target] = debug.command?.arguments ?? [];
    assert.equal(argUri, uri);
    assert.deepEqual(episode, (threw[0].data as { episode: unknown }).episode);
    assert.deepEqual(episode, actions[replayAt].command?.arguments?.[1]);
    assert.deepEqual(target, { code: "user-code-threw", file: fileURLToPath(uri), line: lineOf(lsp.text(uri), "MARK: throw") });
  });

  it("a failure in an imported file is replayed and debugged on the environment that imports it", async () => {
    const helperFile = path.join(lsp.workspace, "lib", "stepper.ts");
    fs.mkdirSync(path.dirname(helperFile), { recursive: true });
    fs.writeFileSync(
      helperFile,
      [
        "export function advance(count: number): number {",
        '  if (count >= 3) throw new Error("advanced too far");',
        "  return count + 1;",
        "}",
        "",
      ].join("\n"),
    );
    const envFile = path.join(lsp.workspace, "imports-stepper.rl.ts");
    fs.writeFileSync(
      envFile,
      [
        'import { Discrete, Environment } from "rl-playground";',
        'import { advance } from "./lib/stepper";',
        "export default class Stepper extends Environment<number, number> {",
        "  observationSpace = new Discrete(5);",
        "  actionSpace = new Discrete(2);",
        "  maxEpisodeSteps = 12;",
        "  private count = 0;",
        "  reset(seed?: number): [number, Record<string, unknown>] {",
        "    super.reset(seed);",
        "    this.count = 0;",
        "    return [0, {}];",
        "  }",
        "  step(action: number): [number, number, boolean, boolean, Record<string, unknown>] {",
        "    if (action === 1) this.count = advance(this.count);",
        "    return [this.count, 0, false, false, {}];",
        "  }",
        "}",
        "",
      ].join("\n"),
    );
    const envUri = lsp.open(envFile);
    await lsp.diagnosticsFor(envUri, 1, 60_000);
    const helperUri = pathToFileURL(helperFile).toString();
    const threw = (await lsp.diagnosticsFor(helperUri, undefined, 60_000)).filter((d) => d.code === "user-code-threw");
    assert.equal(threw.length, 1, "the throw is placed in the helper");
    assert.equal(threw[0].range.start.line, 1);
    lsp.open(helperFile);
    const actions = await lsp.codeActions(helperUri, threw);
    const replay = actions.find((a) => a.command?.command === ServerCommands.replayEpisode);
    const debug = actions.find((a) => a.command?.command === ClientCommands.debugEpisode);
    assert.ok(replay && debug, JSON.stringify(actions.map((a) => a.title)));
    // The episode is the environment's (the helper is no environment); the debugger stops in the helper.
    assert.equal(replay.command?.arguments?.[0], envUri);
    assert.equal(debug.command?.arguments?.[0], envUri);
    assert.deepEqual(debug.command?.arguments?.[2], { code: "user-code-threw", file: helperFile, line: 1 });
    // Four actions 1 make the fourth advance throw: the shrunk episode is exactly those.
    assert.deepEqual(replay.command?.arguments?.[1].actions, [1, 1, 1, 1]);
    const report = await lsp.connection.sendRequest<{ steps: number; failed: boolean; code: string | null }>(
      "workspace/executeCommand",
      replay.command,
    );
    assert.deepEqual(report, { steps: 3, failed: true, code: "user-code-threw" });
  });

  it("a cancelled fuzzing stops and publishes nothing", async () => {
    const uri = lsp.open(lsp.copyFixture("../fuzz-edge.rl.ts", "fuzz-cancel.rl.ts"));
    await lsp.diagnosticsFor(uri, 1, 60_000);
    const cancel = new CancellationTokenSource();
    const request = lsp.connection.sendRequest<FuzzReport>(
      "workspace/executeCommand",
      { command: ServerCommands.fuzz, arguments: [uri, MAX_FUZZ_EPISODES] },
      cancel.token,
    );
    cancel.cancel();
    const report = await request;
    assert.equal(report.stopped, true, JSON.stringify(report));
    assert.deepEqual(report.failures, []);
  });

  it("fuzzing a file publishes the failures random episodes find, with their episodes", async () => {
    const uri = lsp.open(lsp.copyFixture("../fuzz-edge.rl.ts", "fuzz-edge.rl.ts"));
    await lsp.diagnosticsFor(uri, 1, 60_000);
    const published = lsp.diagnostics.length;
    const report = await lsp.connection.sendRequest<FuzzReport>("workspace/executeCommand", {
      command: ServerCommands.fuzz,
      arguments: [uri, 200],
    });
    assert.equal(report.episodes, 200);
    assert.equal(report.stopped, false);
    // One signature: the throw, on its line, in about 2.5% of the 20-step episodes' steps (at least one).
    assert.deepEqual(
      report.failures.map((f) => [f.code, f.range.start.line]),
      [["user-code-threw", lineOf(lsp.text(uri), "MARK: throw")]],
    );
    assert.ok(report.failures[0].count >= 1);
    const after = lsp.diagnostics.slice(published).filter((p) => p.uri === uri);
    const threw = after.at(-1)?.diagnostics.filter((d) => d.code === "user-code-threw") ?? [];
    assert.equal(threw.length >= 1, true, JSON.stringify(after));
    assert.ok(
      threw.some((d) => (d.data as { episode?: unknown } | undefined)?.episode),
      "the published failure carries its episode",
    );
  });
});
