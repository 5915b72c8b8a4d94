/**
 * The API the language server lives on: one result shape for check and
 * train, progress merged to a rate, playback of a saved or a training policy.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkEnvironment, playbackEpisode, readRunPolicy, RunnerPool, trainEnvironment } from "../server/src/api";
import type { PlaybackResult, UpdateMetrics } from "../server/src/protocol";
import { example, fixture, lineOf } from "./helpers";

/** One warm runner for the first test's four jobs (each still picks its backend by the policy's size). */
const pool = new RunnerPool("auto");
after(() => pool.dispose());

test("check and train answer in one shape: ok, diagnostics, backend and why", async () => {
  const check = await checkEnvironment(example("bandit.rl.ts"), { episodes: 16, pool });
  const train = await trainEnvironment(example("bandit.rl.ts"), { settings: { maxEpisodes: 32 }, pool });
  for (const r of [check, train]) {
    assert.equal(r.ok, true);
    assert.deepEqual(r.diagnostics, []);
    assert.equal(r.backend, "wasm");
    // auto picks by the policy's size (design §7) and says so.
    assert.match(r.backendReason ?? "", /^wasm: a policy of 8 parameters is under the .* crossover/);
  }
  const broken = await checkEnvironment(fixture("throw-in-step.rl.ts"), { episodes: 16, pool });
  const brokenTrain = await trainEnvironment(fixture("throw-in-step.rl.ts"), { pool });
  for (const r of [broken, brokenTrain]) {
    assert.equal(r.ok, false);
    assert.equal(r.diagnostics[0].code, "user-code-threw");
  }
  assert.equal(brokenTrain.reason, "error");
});

test("progress merged to one call per throttleMs still delivers every update, the last one included", async () => {
  const calls: { latest: UpdateMetrics; merged: UpdateMetrics[]; at: number }[] = [];
  const r = await trainEnvironment(example("bandit.rl.ts"), {
    backend: "cpu",
    settings: { maxEpisodes: 2000, episodesPerUpdate: 2 },
    continueAfterSolved: true,
    throttleMs: 100,
    onProgress: (latest, merged) => calls.push({ latest, merged, at: performance.now() }),
  });
  assert.ok(r.summary);
  const updates = calls.flatMap((c) => c.merged.map((m) => m.update));
  assert.deepEqual(
    updates,
    Array.from({ length: r.summary.updates }, (_, i) => i + 1),
  );
  assert.ok(calls.length < r.summary.updates / 2, `${calls.length} calls for ${r.summary.updates} updates`);
  for (const c of calls) assert.equal(c.latest, c.merged[c.merged.length - 1]);
  // Spacing: at least throttleMs between calls, except the final flush.
  for (let k = 1; k + 1 < calls.length; k++) assert.ok(calls[k].at - calls[k - 1].at >= 95, `calls ${k - 1}, ${k}`);
});

test("playback of a saved policy draws the reset and every step; a training plays its current policy", async () => {
  const runDir = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rlp-play-")), "run");
  const playbacks: PlaybackResult[] = [];
  const trained = await trainEnvironment(fixture("renders.rl.ts"), {
    backend: "cpu",
    runDir,
    onPlayback: (p) => playbacks.push(p),
    playbackEveryMs: 0,
  });
  assert.equal(trained.ok, true, trained.message ?? "");
  assert.ok(playbacks.length > 0 && playbacks.every((p) => p.ok));

  const result = await playbackEpisode(fixture("renders.rl.ts"), { policy: readRunPolicy(runDir), mode: "greedy", backend: "cpu" });
  assert.ok(result.ok, JSON.stringify(result));
  // Solved: the greedy policy walks right from 0 to 5, five steps of reward 1.
  assert.deepEqual(result.actions, [1, 1, 1, 1, 1]);
  assert.equal(result.episodeReturn, 5);
  assert.equal(result.frames.length, result.actions.length + 1);
  assert.deepEqual(result.frames[5].shapes[0], { type: "circle", cx: 5, cy: 0, r: 0.4, fill: "accent" });

  const cut = await playbackEpisode(fixture("renders.rl.ts"), {
    policy: readRunPolicy(runDir),
    mode: "sampled",
    maxFrames: 3,
    backend: "cpu",
  });
  // Three steps drawn, and the reset before them.
  assert.ok(cut.ok && cut.frames.length === 4 && cut.actions.length === 3);

  const noRender = await playbackEpisode(example("bandit.rl.ts"), { policy: readRunPolicy(runDir), mode: "greedy", backend: "cpu" });
  assert.equal(noRender.ok, false);
  assert.equal(!noRender.ok && noRender.reason, "no-render");
});

test("render() is watched as itself: an endless loop in it ends the training on render, a throw fails the playback", async () => {
  const looping = fixture("loop-in-render.rl.ts");
  const trained = await trainEnvironment(looping, { backend: "cpu", onPlayback: () => undefined, playbackEveryMs: 0, callTimeoutMs: 500 });
  assert.equal(trained.ok, false);
  const [d] = trained.diagnostics;
  assert.equal(d?.code, "user-code-timeout", JSON.stringify(trained.diagnostics));
  assert.match(d.message, /render\(\)/);
  assert.equal(d.range.start.line, lineOf(fs.readFileSync(looping, "utf8"), "MARK: render"));

  const throwing = fixture("throw-in-render.rl.ts");
  const playbacks: PlaybackResult[] = [];
  const ok = await trainEnvironment(throwing, { backend: "cpu", onPlayback: (p) => playbacks.push(p), playbackEveryMs: 0 });
  assert.equal(ok.ok, true, "a playback that fails leaves the training alone");
  const failed = playbacks.find((p) => !p.ok);
  assert.ok(failed && !failed.ok, "the failed playback is reported");
  assert.match(failed.message, /no drawing after a step/);
  assert.match(failed.message, /render/);
});
