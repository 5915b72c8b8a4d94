/**
 * The training requests at the language server's boundary: malformed params and files that
 * are no environment are refused with InvalidParams saying what was expected; one training
 * per file even when requests race (a start in progress is shared, a stopping run is never
 * handed out); a training whose file is deleted is stopped and says so, and one whose file
 * is renamed follows it.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { ErrorCodes, ResponseError } from "vscode-languageserver-protocol/node";
import { type StartTrainingResult, type TrainingEndedParams, type TrainingProgressParams } from "../server/src/protocol";
import {
  PlaybackRequest,
  StartTrainingRequest,
  StopTrainingRequest,
  TrainingEndedNotification,
  TrainingProgressNotification,
  TrainingStartedNotification,
} from "../server/src/lspMethods";
import { example } from "./helpers";
import { LspSession } from "./lspSession";

/** `workspace/didChangeWatchedFiles` change types. */
const DELETED = 3;

describe("language server: training requests", { timeout: 180_000 }, () => {
  let lsp: LspSession;
  before(async () => {
    // Settings pulled with `workspace/configuration`, as VS Code does: reading them takes a round trip.
    lsp = await LspSession.start({ configuration: {} });
  });
  after(async () => {
    await lsp.dispose();
  });

  const endedOf = (runId: string) =>
    lsp.notificationsOf<TrainingEndedParams>(TrainingEndedNotification.type.method).find((e) => e.runId === runId);
  const progressOf = (runId: string) =>
    lsp.notificationsOf<TrainingProgressParams>(TrainingProgressNotification.type.method).filter((p) => p.runId === runId);
  const eventIndex = (method: string, runId: string) =>
    lsp.events.findIndex((e) => e.method === method && (e.params as { runId?: string }).runId === runId);
  const start = (params: unknown) => lsp.connection.sendRequest<StartTrainingResult>(StartTrainingRequest.type.method, params);
  const stop = (runId: string) => lsp.connection.sendRequest<{ stopped: boolean }>(StopTrainingRequest.type.method, { runId });
  /** The CartPole example without its threshold (it never counts as solved), in the workspace. */
  const cartpole = (name: string) => {
    const file = path.join(lsp.workspace, name);
    fs.writeFileSync(file, fs.readFileSync(example("cartpole.rl.ts"), "utf8").replace(/^\s*rewardThreshold = .*$/m, ""));
    return { file, uri: pathToFileURL(file).toString() };
  };
  const LONG = { maxEpisodes: 1_000_000 };

  /** The request fails with InvalidParams and a message matching `expected`. */
  async function refused(request: Promise<unknown>, expected: RegExp): Promise<void> {
    await assert.rejects(request, (error: unknown) => {
      assert.ok(error instanceof ResponseError, `a response error, not ${String(error)}`);
      assert.equal(error.code, ErrorCodes.InvalidParams, error.message);
      assert.match(error.message, expected);
      assert.doesNotMatch(error.message, /Cannot read properties|undefined \(reading/);
      return true;
    });
  }

  it("answers malformed params with InvalidParams that say what was expected", async () => {
    const { uri } = cartpole("params.rl.ts");
    for (const params of [null, 42, "x", {}, { uri: 42 }, { uri: null }])
      await refused(start(params), /rlPlayground\/startTraining expects \{uri: string, settings\?: object, seeds\?: number\[\]\}/);
    await refused(start({ uri: 42 }), /uri.*string.*got 42/);
    await refused(start({ uri, settings: 42 }), /settings.*object.*got 42/);
    await refused(start({ uri, settings: [1] }), /settings.*object/);

    for (const params of [null, 42, {}, { runId: 7 }])
      await refused(
        lsp.connection.sendRequest(StopTrainingRequest.type.method, params),
        /rlPlayground\/stopTraining expects \{runId: string\}/,
      );
    for (const params of [null, {}, { uri: 1, mode: "greedy" }, { uri, mode: "fast" }, { uri, mode: "greedy", maxFrames: "all" }])
      await refused(
        lsp.connection.sendRequest(PlaybackRequest.type.method, params),
        /rlPlayground\/playback expects \{uri: string, mode: "greedy" \| "sampled"/,
      );
    await refused(
      lsp.connection.sendRequest(PlaybackRequest.type.method, { uri, mode: "fast" }),
      /mode.*"greedy" or "sampled".*got "fast"/,
    );

    // Nothing was started by any of them.
    assert.equal(lsp.notificationsOf(TrainingStartedNotification.type.method).length, 0);
  });

  it("refuses settings of the wrong type or unknown, naming the setting and what it accepts", async () => {
    const { uri } = cartpole("settings.rl.ts");
    await refused(start({ uri, settings: { learningRate: "fast" } }), /settings\.learningRate must be a number > 0, got "fast"/);
    await refused(start({ uri, settings: { maxEpisodes: 0 } }), /settings\.maxEpisodes must be a whole number >= 1/);
    await refused(start({ uri, settings: { policy: { hidden: "32" } } }), /settings\.policy\.hidden must be a list of layer sizes/);
    await refused(
      start({ uri, settings: { learningrate: 0.1 } }),
      /settings\.learningrate is not a training setting.*did you mean learningRate\?/,
    );
    assert.equal(lsp.notificationsOf(TrainingStartedNotification.type.method).length, 0, "none of them trained");
  });

  it("refuses to train a file that is not an environment file", async () => {
    for (const name of ["notes.md", "notes.txt", "helper.ts"]) {
      const file = path.join(lsp.workspace, name);
      fs.copyFileSync(example("cartpole.rl.ts"), file);
      await refused(
        start({ uri: pathToFileURL(file).toString() }),
        new RegExp(`${name.replace(".", "\\.")} is not an environment file.*\\*\\*/\\*\\.rl\\.ts`),
      );
    }
    assert.equal(lsp.notificationsOf(TrainingStartedNotification.type.method).length, 0);
  });

  it("shares a start in progress: two requests sent back to back start one training", async () => {
    const { uri } = cartpole("twice.rl.ts");
    const [a, b] = await Promise.all([start({ uri, settings: LONG }), start({ uri, settings: LONG })]);
    assert.equal(b.runId, a.runId, "the second request got the first one's run");
    await lsp.waitFor("progress", () => progressOf(a.runId).length >= 1, 60_000);
    const runsOfFile = lsp
      .notificationsOf<{ uri: string; runId: string }>(TrainingStartedNotification.type.method)
      .filter((s) => s.uri === uri);
    assert.deepEqual(
      runsOfFile.map((s) => s.runId),
      [a.runId],
      "one trainingStarted for the file",
    );
    assert.deepEqual(await stop(a.runId), { stopped: true });
    await lsp.waitFor("the end", () => endedOf(a.runId) !== undefined, 10_000);
  });

  it("never hands out a stopping run: a start after a stop trains anew, after the stopped run has ended", async () => {
    const { uri } = cartpole("restart.rl.ts");
    const first = await start({ uri, settings: LONG });
    await lsp.waitFor("progress of the first run", () => progressOf(first.runId).length >= 1, 60_000);
    assert.deepEqual(await stop(first.runId), { stopped: true });
    // Two more starts while the first run is stopping: both get the one new run.
    const [second, third] = await Promise.all([start({ uri, settings: LONG }), start({ uri, settings: LONG })]);
    assert.notEqual(second.runId, first.runId, "not the stopping run");
    assert.equal(third.runId, second.runId);
    assert.ok(endedOf(first.runId), "the stopped run had ended before the new one was handed out");
    assert.equal(endedOf(first.runId)!.reason, "stopped");
    await lsp.waitFor("progress of the new run", () => progressOf(second.runId).length >= 1, 60_000);
    assert.ok(
      eventIndex(TrainingEndedNotification.type.method, first.runId) < eventIndex(TrainingStartedNotification.type.method, second.runId),
      "the old run ended before the new one started",
    );
    assert.deepEqual(await stop(second.runId), { stopped: true });
    await lsp.waitFor("the new run's end", () => endedOf(second.runId) !== undefined, 10_000);
  });

  it("stops a training when its file is deleted (reported by the watcher), and says so", async () => {
    const { file, uri } = cartpole("deleted.rl.ts");
    const { runId } = await start({ uri, settings: LONG });
    await lsp.waitFor("progress", () => progressOf(runId).length >= 1, 60_000);
    fs.rmSync(file);
    void lsp.connection.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri, type: DELETED }] });
    await lsp.waitFor("the end", () => endedOf(runId) !== undefined, 10_000);
    assert.equal(endedOf(runId)!.reason, "stopped");
    assert.match(endedOf(runId)!.message ?? "", /deleted\.rl\.ts was deleted/);
    assert.deepEqual(await stop(runId), { stopped: false }, "nothing left to stop");
  });

  it("stops a training when its folder is deleted, or its document is closed with the file gone", async () => {
    const folder = path.join(lsp.workspace, "envs");
    fs.mkdirSync(folder);
    // Without its threshold, so that it trains until stopped however fast the machine solves CartPole.
    fs.writeFileSync(
      path.join(folder, "in-folder.rl.ts"),
      fs.readFileSync(example("cartpole.rl.ts"), "utf8").replace(/^\s*rewardThreshold = .*$/m, ""),
    );
    const inFolder = await start({ uri: pathToFileURL(path.join(folder, "in-folder.rl.ts")).toString(), settings: LONG });

    const { file, uri } = cartpole("closed.rl.ts");
    lsp.open(file);
    const closed = await start({ uri, settings: LONG });
    await lsp.waitFor("progress of both", () => progressOf(inFolder.runId).length >= 1 && progressOf(closed.runId).length >= 1, 60_000);

    fs.rmSync(folder, { recursive: true });
    void lsp.connection.sendNotification("workspace/didChangeWatchedFiles", {
      changes: [{ uri: pathToFileURL(folder).toString(), type: DELETED }],
    });
    fs.rmSync(file);
    lsp.close(uri);
    await lsp.waitFor("both ends", () => endedOf(inFolder.runId) !== undefined && endedOf(closed.runId) !== undefined, 10_000);
    assert.match(endedOf(inFolder.runId)!.message ?? "", /in-folder\.rl\.ts was deleted/);
    assert.match(endedOf(closed.runId)!.message ?? "", /closed\.rl\.ts was deleted/);
    assert.deepEqual([endedOf(inFolder.runId)!.reason, endedOf(closed.runId)!.reason], ["stopped", "stopped"]);
  });

  it("keeps training when a deleted file is back on disk (a save that replaces the file)", async () => {
    const { uri } = cartpole("replaced.rl.ts");
    const { runId } = await start({ uri, settings: LONG });
    await lsp.waitFor("progress", () => progressOf(runId).length >= 1, 60_000);
    void lsp.connection.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri, type: DELETED }] });
    // Handled in order: had the notification stopped the run, this stop would find it stopping.
    assert.deepEqual(await stop(runId), { stopped: true });
    await lsp.waitFor("the end", () => endedOf(runId) !== undefined, 10_000);
    assert.doesNotMatch(endedOf(runId)!.message ?? "", /deleted/);
  });

  it("follows a renamed file: progress and the end name the new URI, and it is still the file's one training", async () => {
    const { file, uri } = cartpole("old-name.rl.ts");
    const { runId } = await start({ uri, settings: LONG });
    await lsp.waitFor("progress", () => progressOf(runId).length >= 1, 60_000);
    const renamed = path.join(lsp.workspace, "new-name.rl.ts");
    const newUri = pathToFileURL(renamed).toString();
    // As VS Code renames in the explorer: willRenameFiles first; the watcher's delete of the old
    // name may then come before didRenameFiles.
    assert.equal(await lsp.connection.sendRequest("workspace/willRenameFiles", { files: [{ oldUri: uri, newUri }] }), null);
    fs.renameSync(file, renamed);
    void lsp.connection.sendNotification("workspace/didChangeWatchedFiles", { changes: [{ uri, type: DELETED }] });
    void lsp.connection.sendNotification("workspace/didRenameFiles", { files: [{ oldUri: uri, newUri }] });
    assert.equal((await start({ uri: newUri, settings: LONG })).runId, runId, "the running training, under its new name");
    const seen = progressOf(runId).length;
    await lsp.waitFor(
      "progress under the new name",
      () =>
        progressOf(runId)
          .slice(seen)
          .some((p) => p.uri === newUri),
      30_000,
    );
    assert.deepEqual(await stop(runId), { stopped: true });
    await lsp.waitFor("the end", () => endedOf(runId) !== undefined, 10_000);
    assert.equal(endedOf(runId)!.uri, newUri);
    assert.equal(endedOf(runId)!.reason, "stopped");
  });
});
