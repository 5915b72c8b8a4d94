/**
 * The end of a training is reported when it has happened: after a stop request, the runner
 * process has exited before `trainingEnded` arrives (whether the run stopped by itself or
 * was killed at the deadline), no progress follows it, and a run saved while stopping is
 * reported with its folder.
 */
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { after, before, describe, it } from "node:test";
import { pathToFileURL } from "node:url";
import { type StartTrainingResult, type TrainingEndedParams } from "../server/src/protocol";
import {
  StartTrainingRequest,
  StopTrainingRequest,
  TrainingEndedNotification,
  TrainingProgressNotification,
} from "../server/src/lspMethods";
import { processesMatching } from "./helpers";
import { LspSession } from "./lspSession";

/**
 * One-step episodes whose step blocks for `stepMs` (asleep, so it neither depends on the
 * machine's load nor counts against the watchdog's CPU time). The runner writes its pid where
 * the test can read it: user code runs in the runner process.
 */
function slowStepEnvironment(stepMs: number, pidFile: string): string {
  return `import * as fs from "node:fs";
import { Discrete, Environment } from "rl-playground";

export default class SlowStep extends Environment<number, number> {
  observationSpace = new Discrete(1);
  actionSpace = new Discrete(2);
  maxEpisodeSteps = 1;
  reset(seed?: number): [number, Record<string, unknown>] {
    super.reset(seed);
    if (!fs.existsSync(${JSON.stringify(pidFile)})) fs.writeFileSync(${JSON.stringify(pidFile)}, String(process.pid));
    return [0, {}];
  }
  step(action: number): [number, number, boolean, boolean, Record<string, unknown>] {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${stepMs});
    return [0, action, true, false, {}];
  }
}

export const training = { episodesPerUpdate: 2, maxEpisodes: 100_000, policy: { hidden: [] } };
`;
}

/** Whether a runner process with this pid is alive (and not a zombie). */
const runnerAlive = (pid: number) => processesMatching("runnerProcess.js").includes(pid);

describe("language server: the end of a training is reported when it has happened", { timeout: 120_000 }, () => {
  let lsp: LspSession;
  before(async () => {
    lsp = await LspSession.start();
  });
  after(async () => {
    await lsp.dispose();
  });

  const endedOf = (runId: string) =>
    lsp.notificationsOf<TrainingEndedParams>(TrainingEndedNotification.type.method).find((e) => e.runId === runId);
  const indexOf = (method: string, runId: string) =>
    lsp.events.findIndex((e) => e.method === method && (e.params as { runId?: string }).runId === runId);
  const lastIndexOf = (method: string, runId: string) =>
    lsp.events
      .map((e, i) => (e.method === method && (e.params as { runId?: string }).runId === runId ? i : -1))
      .reduce((a, b) => Math.max(a, b), -1);

  /**
   * Trains `name` (a slow-step environment, not opened: no check runs it) until the runner has
   * written its pid and an update is done, then stops it right after a progress notification.
   * Returns what was seen at the moment `trainingEnded` arrived.
   */
  async function stopAfterProgress(name: string, stepMs: number) {
    const pidFile = path.join(lsp.workspace, `${name}.pid`);
    const file = path.join(lsp.workspace, `${name}.rl.ts`);
    fs.writeFileSync(file, slowStepEnvironment(stepMs, pidFile));
    const uri = pathToFileURL(file).toString();
    const { runId } = await lsp.connection.sendRequest<StartTrainingResult>(StartTrainingRequest.type.method, { uri });
    const progressed = () =>
      lsp.events.filter((e) => e.method === TrainingProgressNotification.type.method && (e.params as { runId: string }).runId === runId);
    await lsp.waitFor("an update", () => progressed().length >= 1, 60_000);
    const pid = Number(fs.readFileSync(pidFile, "utf8"));
    assert.ok(runnerAlive(pid), `the runner ${pid} trains`);

    // The next update has just begun: its first step runs for about stepMs after the stop request.
    const seen = progressed().length;
    await lsp.waitFor("the next update's progress", () => progressed().length > seen, 60_000);
    let aliveAtEnd: boolean | null = null;
    const stopped = await lsp.connection.sendRequest<{ stopped: boolean }>(StopTrainingRequest.type.method, { runId });
    assert.equal(stopped.stopped, true);
    // Checked as the notification is received, before anything else is handled.
    await lsp.waitFor(
      "trainingEnded",
      () => {
        if (endedOf(runId) === undefined) return false;
        aliveAtEnd ??= runnerAlive(pid);
        return true;
      },
      30_000,
    );
    return { runId, pid, aliveAtEnd: aliveAtEnd!, ended: endedOf(runId)!, runs: path.join(lsp.workspace, ".rl-playground", "runs"), name };
  }

  it("a run cut short at the deadline: its runner has exited before trainingEnded, and no progress follows", async () => {
    // A step of 3 s: the run cannot stop by itself within the grace it gets, so its runner is killed.
    const { runId, pid, aliveAtEnd, ended, runs, name } = await stopAfterProgress("cut-short", 3000);
    assert.equal(aliveAtEnd, false, `the runner ${pid} had exited when trainingEnded arrived`);
    assert.equal(ended.reason, "stopped");
    assert.equal(ended.runDir, undefined, "nothing was saved");
    assert.deepEqual(
      fs.existsSync(runs) ? fs.readdirSync(runs).filter((d) => d.startsWith(name)) : [],
      [],
      "no run folder, not even half of one",
    );
    // A later request is answered after anything the server had sent before it.
    await lsp.connection.sendRequest(StopTrainingRequest.type.method, { runId });
    assert.ok(
      lastIndexOf(TrainingProgressNotification.type.method, runId) < indexOf(TrainingEndedNotification.type.method, runId),
      "no progress after the end",
    );
  });

  it("a run that saves while stopping: its runner has exited before trainingEnded, which names the saved folder", async () => {
    // A step of 0.7 s: the run stops after the step it is in and saves itself as stopped, later
    // than the 0.6 s after which a timer used to report it.
    const { runId, pid, aliveAtEnd, ended, runs, name } = await stopAfterProgress("saves", 700);
    assert.equal(aliveAtEnd, false, `the runner ${pid} had exited when trainingEnded arrived`);
    assert.equal(ended.reason, "stopped");
    const folders = fs.existsSync(runs) ? fs.readdirSync(runs).filter((d) => d.startsWith(name)) : [];
    // On a machine too busy to finish the step and save within the grace, the run is cut short
    // and saves nothing; either way the report says what is on disk.
    if (folders.length > 0) {
      assert.ok(ended.runDir, "the saved run's folder is reported");
      assert.deepEqual(folders, [path.basename(ended.runDir)]);
      const summary = JSON.parse(fs.readFileSync(path.join(ended.runDir, "summary.json"), "utf8")) as { reason: string };
      assert.equal(summary.reason, "stopped");
      assert.equal(ended.summary?.reason, "stopped");
    } else assert.equal(ended.runDir, undefined);
    await lsp.connection.sendRequest(StopTrainingRequest.type.method, { runId });
    assert.ok(
      lastIndexOf(TrainingProgressNotification.type.method, runId) < indexOf(TrainingEndedNotification.type.method, runId),
      "no progress after the end",
    );
  });
});
