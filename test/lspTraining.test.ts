/**
 * Training through the language server: started by request, progress as notifications and
 * `$/progress`, a stop that ends it within a second, hovers answered meanwhile, one run per
 * file, a training whose runner dies reported as an error while the server lives on, and
 * playback of a finished run's policy.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import {
  progressUpdates,
  type PlaybackResult,
  type StartTrainingResult,
  type TrainingEndedParams,
  type TrainingProgressParams,
  type TrainingStartedParams,
} from "../server/src/protocol";
import {
  PlaybackRequest,
  StartTrainingRequest,
  StopTrainingRequest,
  TrainingEndedNotification,
  TrainingProgressNotification,
  TrainingStartedNotification,
} from "../server/src/lspMethods";
import { example, lineOf } from "./helpers";
import { LspSession } from "./lspSession";

describe("language server: training in the background", { timeout: 120_000 }, () => {
  let lsp: LspSession;
  before(async () => {
    lsp = await LspSession.start();
  });
  after(async () => {
    await lsp.dispose();
  });

  const endedOf = (runId: string) =>
    lsp.notificationsOf<TrainingEndedParams>(TrainingEndedNotification.type.method).find((e) => e.runId === runId);
  const progressOf = (runId: string) =>
    lsp.notificationsOf<TrainingProgressParams>(TrainingProgressNotification.type.method).filter((p) => p.runId === runId);

  it("trains on request, reports progress, answers hovers meanwhile, and stops within a second", async () => {
    const file = path.join(lsp.workspace, "cartpole.rl.ts");
    // Without its threshold: it must still be training when the stop comes, however fast it would solve.
    fs.writeFileSync(file, fs.readFileSync(example("cartpole.rl.ts"), "utf8").replace(/^\s*rewardThreshold = .*$/m, ""));
    const uri = lsp.open(file);
    const started = Date.now();
    const { runId } = await lsp.connection.sendRequest<StartTrainingResult>(StartTrainingRequest.type.method, {
      uri,
      settings: { maxEpisodes: 1_000_000 },
    });
    assert.match(runId, /^cartpole-/);

    await lsp.waitFor("three progress notifications", () => progressOf(runId).length >= 3, 60_000);
    const start = lsp.notificationsOf<TrainingStartedParams>(TrainingStartedNotification.type.method).find((s) => s.runId === runId);
    assert.ok(start, "trainingStarted comes before the progress");
    assert.equal(start.environment, "CartPole");
    assert.deepEqual(start.actionSpace, { kind: "discrete", n: 2 });
    assert.equal(start.settings.maxEpisodes, 1_000_000);
    const first = progressOf(runId)[0];
    assert.equal(first.uri, uri);
    assert.equal(first.update, first.metrics.update);
    assert.ok(Number.isFinite(first.metrics.returnMean));

    // $/progress for the status bar: begin, then reports with a percentage and a message.
    const reports = lsp.workDoneProgress as Array<{ value: { kind: string; message?: string; percentage?: number } }>;
    assert.ok(reports.some((p) => p.value.kind === "begin"));
    await lsp.waitFor("a $/progress report", () => reports.some((p) => p.value.kind === "report"));
    assert.match(reports.find((p) => p.value.kind === "report")!.value.message!, /^update \d+ · mean return -?[\d.]+/);

    // The server answers while the runner trains.
    const text = lsp.text(uri);
    const hover = await lsp.hover(uri, lineOf(text, "  step(action"), 3);
    assert.ok(hover, "a hover is answered during training");

    // One training per file: asking again returns the running one.
    const again = await lsp.connection.sendRequest<StartTrainingResult>(StartTrainingRequest.type.method, { uri });
    assert.equal(again.runId, runId);

    const stopAsked = Date.now();
    const stop = await lsp.connection.sendRequest<{ stopped: boolean }>(StopTrainingRequest.type.method, { runId });
    assert.equal(stop.stopped, true);
    await lsp.waitFor("trainingEnded", () => endedOf(runId) !== undefined, 5_000);
    const stopMs = Date.now() - stopAsked;
    assert.equal(endedOf(runId)!.reason, "stopped");
    assert.ok(stopMs < 1000, `the end was reported ${stopMs} ms after the stop request`);

    // At most ~20 notifications a second (an upper bound: a busy machine only lowers it).
    const seconds = (Date.now() - started) / 1000;
    assert.ok(progressOf(runId).length <= 20 * seconds + 2, `${progressOf(runId).length} notifications in ${seconds.toFixed(1)} s`);
    assert.ok(
      reports.some((p) => p.value.kind === "end"),
      "the work-done progress ends",
    );
    assert.deepEqual(
      await lsp.connection.sendRequest(StopTrainingRequest.type.method, { runId }),
      { stopped: false },
      "a second stop finds nothing to stop",
    );
  });

  it("sends at most ~20 progress notifications a second, and yet every update's metrics, in order", async () => {
    // The bandit without its threshold: one-step episodes, so updates come by the thousand a second.
    const file = path.join(lsp.workspace, "fast-bandit.rl.ts");
    fs.writeFileSync(file, fs.readFileSync(example("bandit.rl.ts"), "utf8").replace(/^\s*rewardThreshold = .*$/m, ""));
    const uri = lsp.open(file);
    const started = Date.now();
    const { runId } = await lsp.connection.sendRequest<StartTrainingResult>(StartTrainingRequest.type.method, {
      uri,
      settings: { maxEpisodes: 8_000 },
    });
    await lsp.waitFor("trainingEnded", () => endedOf(runId) !== undefined, 120_000);
    const seconds = (Date.now() - started) / 1000;
    const ended = endedOf(runId)!;
    assert.equal(ended.reason, "budget");
    const notes = progressOf(runId);
    assert.ok(notes.length <= 20 * seconds + 2, `${notes.length} notifications in ${seconds.toFixed(1)} s`);
    const updates = notes.flatMap((p) => progressUpdates(p).map((m) => m.update));
    assert.equal(updates.length, 500, "8,000 episodes at 16 per update");
    assert.deepEqual(
      updates,
      updates.map((_, i) => i + 1),
      "updates 1, 2, 3, … each once",
    );
    for (const p of notes) {
      assert.equal(p.update, p.metrics.update, "the top-level update is the newest");
      assert.equal(p.episodes, p.metrics.episodes);
    }
    const written = fs.readFileSync(path.join(ended.runDir!, "metrics.jsonl"), "utf8").trim().split("\n");
    assert.equal(written.length, updates.length, "the same updates as in metrics.jsonl");
  });

  it("writes the run folder as the CLI does, under the workspace folder", async () => {
    const file = lsp.copyFixture("baseline.rl.ts", "short.rl.ts");
    const uri = lsp.open(file);
    const { runId } = await lsp.connection.sendRequest<StartTrainingResult>(StartTrainingRequest.type.method, {
      uri,
      settings: { maxEpisodes: 64 },
    });
    await lsp.waitFor("trainingEnded", () => endedOf(runId) !== undefined, 60_000);
    const ended = endedOf(runId)!;
    assert.equal(ended.reason, "budget");
    assert.ok(ended.runDir, "the run folder is reported");
    assert.equal(path.dirname(ended.runDir), path.join(lsp.workspace, ".rl-playground", "runs"));
    assert.match(path.basename(ended.runDir), /^short-\d{8}-\d{6}$/);
    for (const name of ["metrics.jsonl", "summary.json", "model.json"]) assert.ok(fs.existsSync(path.join(ended.runDir, name)), name);
  });

  it("reports a training whose runner exits after 50 updates as an error, on the user's line, and lives on", async () => {
    // Not opened: the file on disk is trained, and no check of an open document can place a diagnostic.
    const file = lsp.copyFixture("exits-after-50-updates.rl.ts");
    const uri = pathToFileURL(file).toString();
    const { runId } = await lsp.connection.sendRequest<StartTrainingResult>(StartTrainingRequest.type.method, { uri });
    await lsp.waitFor("trainingEnded", () => endedOf(runId) !== undefined, 60_000);
    const ended = endedOf(runId)!;
    assert.equal(ended.reason, "error");
    assert.match(ended.message ?? "", /runner process died|exit/);
    assert.ok(progressOf(runId).length >= 1, "it trained before it died");

    await lsp.waitFor("the crash's diagnostic", () =>
      lsp.diagnostics.some((p) => p.uri === uri && p.diagnostics.some((d) => d.code === "user-code-crashed")),
    );
    const crash = lsp.diagnostics
      .filter((p) => p.uri === uri)
      .flatMap((p) => p.diagnostics.filter((d) => d.code === "user-code-crashed"))[0];
    const text = fs.readFileSync(file, "utf8");
    assert.ok(
      [lineOf(text, "MARK: exit"), lineOf(text, "  reset(seed")].includes(crash.range.start.line),
      `placed on line ${crash.range.start.line}`,
    );

    // The server still answers, and trains again.
    const other = lsp.open(lsp.copyFixture("baseline.rl.ts", "after-crash.rl.ts"));
    assert.ok(await lsp.hover(other, lineOf(lsp.text(other), "  step(action"), 3));
    const next = await lsp.connection.sendRequest<StartTrainingResult>(StartTrainingRequest.type.method, {
      uri,
      settings: { maxEpisodes: 8 },
    });
    assert.notEqual(next.runId, runId);
    await lsp.waitFor("the next run's end", () => endedOf(next.runId) !== undefined, 60_000);
    assert.equal(endedOf(next.runId)!.reason, "budget");
  });

  it("plays back an episode of the policy a finished run saved", async () => {
    const uri = lsp.open(lsp.copyFixture("renders.rl.ts"));
    const none = await lsp.connection.sendRequest<PlaybackResult>(PlaybackRequest.type.method, { uri, mode: "greedy" });
    assert.deepEqual([none.ok, !none.ok && none.reason], [false, "no-policy"]);

    const { runId } = await lsp.connection.sendRequest<StartTrainingResult>(StartTrainingRequest.type.method, {
      uri,
      settings: { maxEpisodes: 32 },
    });
    await lsp.waitFor("trainingEnded", () => endedOf(runId) !== undefined, 60_000);
    assert.ok(endedOf(runId)!.runDir);
    const played = await lsp.connection.sendRequest<PlaybackResult>(PlaybackRequest.type.method, {
      uri,
      runId,
      mode: "greedy",
      maxFrames: 10,
    });
    assert.ok(played.ok, JSON.stringify(played));
    assert.ok(played.frames.length >= 1 && played.frames.length <= 11, `${played.frames.length} frames`);
    assert.equal(played.rewards.length, played.actions.length);

    // A run folder reopened from disk (the server has no record of its runId) plays back from its folder.
    const runDir = endedOf(runId)!.runDir!;
    const reopened = await lsp.connection.sendRequest<PlaybackResult>(PlaybackRequest.type.method, {
      uri,
      runId: `saved:${runDir}`,
      runDir,
      mode: "greedy",
      maxFrames: 10,
    });
    assert.ok(reopened.ok, JSON.stringify(reopened));
    assert.deepEqual(reopened.actions, played.actions, "the same saved policy, greedy: the same episode");
    const empty = fs.mkdtempSync(path.join(lsp.workspace, "no-policy-"));
    const missing = await lsp.connection.sendRequest<PlaybackResult>(PlaybackRequest.type.method, { uri, runDir: empty, mode: "greedy" });
    assert.deepEqual([missing.ok, !missing.ok && missing.reason], [false, "no-policy"]);
  });

  it("trains two files at once, each with its own progress, and stops each on its own", async () => {
    const files = ["cartpole.rl.ts", "gridworld.rl.ts"].map((name) => {
      const file = path.join(lsp.workspace, `two-${name}`);
      // Without thresholds: both must still be training when they are stopped.
      fs.writeFileSync(file, fs.readFileSync(example(name), "utf8").replace(/^\s*rewardThreshold = .*$/m, ""));
      return lsp.open(file);
    });
    const runs = await Promise.all(
      files.map((uri) =>
        lsp.connection.sendRequest<StartTrainingResult>(StartTrainingRequest.type.method, { uri, settings: { maxEpisodes: 1_000_000 } }),
      ),
    );
    assert.notEqual(runs[0].runId, runs[1].runId);
    await lsp.waitFor("progress from both runs", () => runs.every((r) => progressOf(r.runId).length >= 2), 60_000);
    for (const [i, { runId }] of runs.entries())
      assert.ok(
        progressOf(runId).every((p) => p.uri === files[i]),
        "each run reports on its own file",
      );

    const stopped = await lsp.connection.sendRequest<{ stopped: boolean }>(StopTrainingRequest.type.method, { runId: runs[0].runId });
    assert.equal(stopped.stopped, true);
    await lsp.waitFor("the first run's end", () => endedOf(runs[0].runId) !== undefined, 5_000);
    const before = progressOf(runs[1].runId).length;
    await lsp.waitFor("the second run still training", () => progressOf(runs[1].runId).length > before, 30_000);
    assert.equal(endedOf(runs[1].runId), undefined);
    await lsp.connection.sendRequest(StopTrainingRequest.type.method, { runId: runs[1].runId });
    await lsp.waitFor("the second run's end", () => endedOf(runs[1].runId) !== undefined, 5_000);
    assert.deepEqual(
      runs.map((r) => endedOf(r.runId)!.reason),
      ["stopped", "stopped"],
    );
  });
});
