/**
 * A seed group over LSP: one `startTraining` with `seeds` trains the file once per seed (each
 * run's `settings.seed` that seed) and answers with the group's id and a run id per seed; the
 * group is the file's one training; its runs start side by side up to the runner bound and the
 * others wait for a runner; every notification of a run carries the group's id; stopping the
 * group ends every run, a waiting one without ever starting.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { ErrorCodes, ResponseError } from "vscode-languageserver-protocol/node";
import {
  type StartGroupResult,
  type TrainingEndedParams,
  type TrainingProgressParams,
  type TrainingStartedParams,
} from "../server/src/protocol";
import {
  StartTrainingRequest,
  StopTrainingRequest,
  TrainingEndedNotification,
  TrainingProgressNotification,
  TrainingStartedNotification,
} from "../server/src/lspMethods";
import { example } from "./helpers";
import { LspSession } from "./lspSession";

describe("language server: seed groups", { timeout: 240_000 }, () => {
  let lsp: LspSession;
  before(async () => {
    // Two runners at once: a group of three has one run waiting.
    lsp = await LspSession.start({ configuration: { maxRunners: 2 } });
  });
  after(async () => {
    await lsp.dispose();
  });

  const start = (params: unknown) => lsp.connection.sendRequest<StartGroupResult>(StartTrainingRequest.type.method, params);
  const stop = (runId: string) => lsp.connection.sendRequest<{ stopped: boolean }>(StopTrainingRequest.type.method, { runId });
  const started = () => lsp.notificationsOf<TrainingStartedParams>(TrainingStartedNotification.type.method);
  const ended = () => lsp.notificationsOf<TrainingEndedParams>(TrainingEndedNotification.type.method);
  const startedOf = (runId: string) => started().find((p) => p.runId === runId);
  const endedOf = (runId: string) => ended().find((p) => p.runId === runId);
  const eventIndex = (method: string, runId: string) =>
    lsp.events.findIndex((e) => e.method === method && (e.params as { runId?: string }).runId === runId);
  /** The CartPole example without its threshold (it never counts as solved), in the workspace. */
  const cartpole = (name: string) => {
    const file = path.join(lsp.workspace, name);
    fs.writeFileSync(file, fs.readFileSync(example("cartpole.rl.ts"), "utf8").replace(/^\s*rewardThreshold = .*$/m, ""));
    return pathToFileURL(file).toString();
  };
  const LONG = { maxEpisodes: 1_000_000 };

  it("refuses seeds that are not 2 to 16 distinct whole numbers, saying what it expected", async () => {
    const uri = cartpole("bad-seeds.rl.ts");
    for (const seeds of [[1], [1, 1], [1, 2.5], "1,2", Array.from({ length: 17 }, (_, i) => i)])
      await assert.rejects(start({ uri, seeds }), (error: unknown) => {
        assert.ok(error instanceof ResponseError);
        assert.equal(error.code, ErrorCodes.InvalidParams, error.message);
        assert.match(error.message, /startTraining expects \{uri: string, settings\?: object, seeds\?: number\[\]\}: seeds/);
        return true;
      });
    assert.equal(started().length, 0);
  });

  it("trains one run per seed, two at a time, as the file's one training; stopping the group ends them all", async () => {
    const uri = cartpole("group.rl.ts");
    const seeds = [7, 8, 9];
    const answer = await start({ uri, settings: LONG, seeds });
    assert.equal(typeof answer.groupId, "string");
    assert.equal(answer.runIds.length, 3);
    assert.equal(new Set(answer.runIds).size, 3);
    // The group is the file's one training: starting the file again answers with it.
    assert.deepEqual(await start({ uri, settings: LONG }), answer);
    assert.deepEqual(await start({ uri, settings: LONG, seeds: [1, 2] }), answer);

    const [first, second, third] = answer.runIds as [string, string, string];
    await lsp.waitFor("two runs started", () => !!startedOf(first) && !!startedOf(second), 120_000);
    for (const [i, runId] of [first, second].entries()) {
      assert.equal(startedOf(runId)!.groupId, answer.groupId);
      assert.equal(startedOf(runId)!.settings.seed, seeds[i]);
    }
    await lsp.waitFor("progress of both", () =>
      [first, second].every((runId) =>
        lsp
          .notificationsOf<TrainingProgressParams>(TrainingProgressNotification.type.method)
          .some((p) => p.runId === runId && p.groupId === answer.groupId),
      ),
    );

    // The third waits for a runner: it starts once one of the two has ended.
    assert.deepEqual(await stop(first), { stopped: true });
    await lsp.waitFor("the third run started", () => !!startedOf(third), 120_000);
    assert.ok(
      eventIndex(TrainingEndedNotification.type.method, first) < eventIndex(TrainingStartedNotification.type.method, third),
      "the third started after a runner came free",
    );
    assert.equal(startedOf(third)!.settings.seed, 9);
    assert.equal(endedOf(first)!.groupId, answer.groupId);

    assert.deepEqual(await stop(answer.groupId), { stopped: true });
    await lsp.waitFor("every run ended", () => answer.runIds.every((r) => !!endedOf(r)), 60_000);
    for (const runId of answer.runIds) assert.equal(endedOf(runId)!.reason, "stopped");
    // Ended, the file trains anew.
    const again = await lsp.connection.sendRequest<{ runId: string }>(StartTrainingRequest.type.method, { uri, settings: LONG });
    assert.ok(!answer.runIds.includes(again.runId));
    await stop(again.runId);
    await lsp.waitFor("the new run ended", () => !!endedOf(again.runId), 60_000);
  });

  it("a run still waiting when the group stops ends without starting", async () => {
    const uri = cartpole("waiting.rl.ts");
    const answer = await start({ uri, settings: LONG, seeds: [1, 2, 3] });
    const waiting = answer.runIds[2]!;
    await lsp.waitFor("the first two started", () => answer.runIds.slice(0, 2).every((r) => !!startedOf(r)), 120_000);
    assert.deepEqual(await stop(answer.groupId), { stopped: true });
    await lsp.waitFor("every run ended", () => answer.runIds.every((r) => !!endedOf(r)), 60_000);
    assert.equal(startedOf(waiting), undefined, "the waiting run never started");
    assert.equal(endedOf(waiting)!.reason, "stopped");
    assert.equal(endedOf(waiting)!.groupId, answer.groupId);
    assert.deepEqual(await stop(answer.groupId), { stopped: false });
  });
});
