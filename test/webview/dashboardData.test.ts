/**
 * The dashboard's data handling without a browser: run folders read back, the messages' checks,
 * and the incremental smoothing and bucketing the charts draw. (Settings written back into an
 * environment file are the language server's edit: see the editTraining LSP test.)
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as os from "node:os";
import { findSavedRuns, parseMetricsJsonl, readSavedRun, readSavedRuns, type RunFolderAccess } from "../../client/src/savedRuns";
import { diskRunFolders, SWEEP_FIXTURE } from "./harness";
import { bucketize, bucketizeIncremental, bucketsFor, smooth, smoothIncremental } from "../../webview/src/series";
import type { Column } from "../../webview/src/state";
import { settingProblem } from "../../webview/src/settingsCheck";
import { resolveSettings } from "../../server/src/rl/settings";
import { FromWebviewMessageSchema, ToWebviewMessageSchema, validate, type FlatTrainingSetting } from "../../server/src/protocol";

const FIXTURE = path.join(__dirname, "..", "fixtures", "metrics", "cartpole-seed0.jsonl");

test("metrics.jsonl and the --json stream read back as update rows; partial and summary lines are skipped", () => {
  const text = fs.readFileSync(FIXTURE, "utf8");
  const lines = text.trim().split("\n");
  const rows = parseMetricsJsonl(text + '{"update": 26, "episo');
  assert.equal(rows.length, lines.length - 1);
  assert.equal(rows[0].update, 1);
  assert.equal(rows.at(-1)?.returnMean, JSON.parse(lines[lines.length - 2]).returnMean);
});

test("saved runs are listed from their summary.json, newest first, and reopened with every row", async () => {
  const text = fs.readFileSync(FIXTURE, "utf8");
  const summary = text.trim().split("\n").at(-1) ?? "";
  // Summaries written since they carry the threshold and the file (a, d); c is one from before.
  const current = JSON.stringify({ ...JSON.parse(summary), rewardThreshold: 475, file: "/w/cartpole.rl.ts" });
  const files: Record<string, string> = {
    "/w/.rl-playground/runs/a/summary.json": current,
    "/w/.rl-playground/runs/a/metrics.jsonl": text,
    "/w/.rl-playground/runs/b/summary.json": "{ not json",
    "/w/.rl-playground/runs/c/summary.json": summary,
    "/w/.rl-playground/runs/c/metrics.jsonl": text,
    "/w/.rl-playground/runs/d/summary.json": JSON.stringify({ ...JSON.parse(current), file: "/w/deleted.rl.ts" }),
    "/w/.rl-playground/runs/d/metrics.jsonl": text,
  };
  const access: RunFolderAccess = {
    findSummaries: async () => Object.keys(files).filter((f) => f.endsWith("summary.json")),
    readText: async (f) => {
      if (!(f in files)) throw new Error(`ENOENT ${f}`);
      return files[f];
    },
    mtime: async (f) => (f.includes("/c/") ? 2000 : f.includes("/d/") ? 500 : 1000),
    environmentUri: async (f) => (f === "/w/cartpole.rl.ts" ? "file:///w/cartpole.rl.ts" : null),
  };
  const runs = await findSavedRuns(access);
  assert.deepEqual(
    runs.map((r) => r.runDir),
    ["/w/.rl-playground/runs/c", "/w/.rl-playground/runs/a", "/w/.rl-playground/runs/d"],
  );
  assert.equal(runs[1].environment, "CartPole");
  assert.equal(runs[1].solved, true);
  const loaded = await readSavedRun(access, "/w/.rl-playground/runs/a");
  assert.equal(loaded.metrics.length, text.trim().split("\n").length - 1);
  assert.equal(loaded.reason, "solved");
  assert.equal(loaded.info.source, "saved");
  assert.equal(loaded.info.settings?.episodesPerUpdate, 16);
  // A reopened run draws its threshold and can be trained again (and played back) on its file.
  assert.equal(loaded.info.rewardThreshold, 475);
  assert.equal(loaded.info.uri, "file:///w/cartpole.rl.ts");
  const older = await readSavedRun(access, "/w/.rl-playground/runs/c");
  assert.equal(older.info.rewardThreshold, null, "a summary from before names no threshold");
  assert.equal(older.info.uri, null);
  const orphan = await readSavedRun(access, "/w/.rl-playground/runs/d");
  assert.equal(orphan.info.uri, null, "a run whose file is gone cannot be trained again");
  assert.equal(
    validate(ToWebviewMessageSchema, { type: "runLoaded", run: loaded.info, metrics: loaded.metrics, reason: loaded.reason }).ok,
    true,
  );
});

test("a sweep folder opens as every trial's run, one seed group per grid point, and is listed as a sweep", async () => {
  const loaded = await readSavedRuns(diskRunFolders(), SWEEP_FIXTURE);
  assert.equal(loaded.length, 6);
  const groups = new Map<string, number[]>();
  for (const r of loaded) {
    assert.equal(r.info.source, "saved");
    // Found under this folder although sweep.json records the folders where the sweep ran.
    assert.ok(r.info.runDir?.startsWith(path.join(SWEEP_FIXTURE, "runs")), r.info.runDir ?? "");
    assert.equal(r.metrics.length, 6);
    const id = r.info.groupId ?? "";
    groups.set(id, [...(groups.get(id) ?? []), r.info.settings?.seed ?? -1]);
    assert.equal(r.info.groupLabel, `learningRate=${r.info.settings?.learningRate}`);
  }
  assert.deepEqual(
    [...groups.values()],
    [
      [1, 2, 3],
      [1, 2, 3],
    ],
  );
  assert.notEqual(loaded[0].info.groupId, loaded[3].info.groupId);
  for (const r of loaded)
    assert.equal(validate(ToWebviewMessageSchema, { type: "runLoaded", run: r.info, metrics: r.metrics, reason: r.reason }).ok, true);
  // A plain run folder still opens as the one run it is.
  const one = await readSavedRuns(diskRunFolders(), loaded[0].info.runDir ?? "");
  assert.equal(one.length, 1);
  assert.equal(one[0].info.groupId, undefined);

  const listed = await findSavedRuns({ ...diskRunFolders(), findSweeps: async () => [path.join(SWEEP_FIXTURE, "sweep.json")] });
  assert.equal(listed.length, 1);
  assert.equal(listed[0].runDir, SWEEP_FIXTURE);
  assert.equal(listed[0].environment, "CartPole");
  assert.deepEqual(listed[0].sweep, { points: 2, trials: 6, solved: 0 });
  assert.equal(listed[0].reason, "budget");
  assert.equal(validate(ToWebviewMessageSchema, { type: "savedRuns", runs: listed }).ok, true);

  // A sweep stopped by Ctrl-C (sweep.json says `interrupted`) is listed as stopped, not as one that spent its budget.
  const stoppedDir = fs.mkdtempSync(path.join(os.tmpdir(), "rl-sweep-stopped-"));
  fs.cpSync(SWEEP_FIXTURE, stoppedDir, { recursive: true });
  const record = JSON.parse(fs.readFileSync(path.join(stoppedDir, "sweep.json"), "utf8"));
  fs.writeFileSync(path.join(stoppedDir, "sweep.json"), JSON.stringify({ ...record, interrupted: true }));
  const stopped = await findSavedRuns({ ...diskRunFolders(), findSweeps: async () => [path.join(stoppedDir, "sweep.json")] });
  assert.deepEqual([stopped[0].reason, stopped[0].sweep?.trials], ["stopped", 6]);
  fs.rmSync(stoppedDir, { recursive: true, force: true });
});

test("incremental smoothing and bucketing equal recomputing from scratch as a run grows", () => {
  const values: Column = [];
  const update: number[] = [];
  let seed = 1;
  const next = () => ((seed = (seed * 16807) % 2147483647) / 2147483647) * 100;
  for (let n = 1; n <= 3000; n++) {
    update.push(n);
    values.push(n % 97 === 0 ? null : next());
    if (n % 37 !== 0 && n !== 3000) continue;
    const b = bucketsFor(n, 400);
    assert.deepEqual(smoothIncremental(values, 0.8), smooth(values, 0.8));
    for (const mode of ["mean", "min", "max", "last"] as const) {
      const expected = bucketize(update, values, b, mode);
      const got = bucketizeIncremental(update, values, b, mode);
      assert.equal(got.length, expected.length);
      got.forEach((v, i) =>
        assert.ok(v === expected[i] || Math.abs((v ?? NaN) - (expected[i] ?? NaN)) < 1e-9, `${mode} bucket ${i} at n=${n}`),
      );
    }
  }
  assert.deepEqual(smoothIncremental(values, 0.5), smooth(values, 0.5), "a new weight starts afresh");
});

test("messages from the page are checked too: a stop without a run id is rejected", () => {
  assert.equal(validate(FromWebviewMessageSchema, { type: "stop", runId: "r" }).ok, true);
  const bad = validate(FromWebviewMessageSchema, { type: "stop" });
  assert.equal(bad.ok, false);
  assert.equal(
    validate(FromWebviewMessageSchema, { type: "train", uri: "file:///a.rl.ts", writeBack: true, settings: { gamma: "high" } }).ok,
    false,
  );
});

test("a train message with a setting the engine would reject is dropped before anything is written", () => {
  for (const settings of [{ episodesPerUpdate: 0.05 }, { episodesPerUpdate: 1 }, { maxEpisodes: 0 }, { gamma: 2 }, { learningRate: -1 }]) {
    const checked = validate(FromWebviewMessageSchema, { type: "train", uri: "file:///a.rl.ts", settings, writeBack: true });
    assert.equal(checked.ok, false, JSON.stringify(settings));
  }
  const ok = validate(FromWebviewMessageSchema, {
    type: "train",
    uri: "file:///a.rl.ts",
    settings: { episodesPerUpdate: 2, gamma: 1 },
    writeBack: true,
  });
  assert.equal(ok.ok, true);
});

test("the form's check and the engine's invalid-training check agree on every value tried", () => {
  const tried: Array<[FlatTrainingSetting, unknown]> = [
    ["episodesPerUpdate", 0.05],
    ["episodesPerUpdate", 1],
    ["episodesPerUpdate", 2],
    ["episodesPerUpdate", 64],
    ["learningRate", 0],
    ["learningRate", 1e-4],
    ["learningRate", Infinity],
    ["gamma", -0.1],
    ["gamma", 0],
    ["gamma", 1],
    ["gamma", 1.01],
    ["entropyCoef", -1],
    ["entropyCoef", 0.01],
    ["seed", 2.5],
    ["seed", -3],
    ["maxEpisodes", 0],
    ["maxEpisodes", 1],
    ["maxEpisodes", 10.5],
    ["baseline", "value"],
    ["baseline", "median"],
    ["normalizeAdvantages", true],
  ];
  for (const [key, value] of tried) {
    let engineAccepts = true;
    try {
      resolveSettings({ [key]: value });
    } catch {
      engineAccepts = false;
    }
    assert.equal(settingProblem(key, value) === null, engineAccepts, `${key} = ${String(value)}`);
  }
});
