/**
 * Playback shows every step of an episode and says how it ended: a 500-step episode under the
 * default cap of 500 is drawn whole (the reset's frame does not count against the cap).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { playbackEpisode } from "../server/src/api";
import type { PolicyWeights } from "../server/src/protocol";
import { fixture } from "./helpers";

/** A linear policy whose greedy action is always `action` (bias only). */
function always(action: 0 | 1): PolicyWeights {
  return {
    hidden: [],
    activation: "relu",
    tensors: [
      { shape: [1, 2], values: [0, 0] },
      { shape: [2], values: action === 0 ? [1, 0] : [0, 1] },
    ],
    logStd: null,
  };
}

test("an episode that runs to maxEpisodeSteps (500) plays all 500 steps and ends truncated at the limit", async () => {
  const result = await playbackEpisode(fixture("walk-500.rl.ts"), { policy: always(0), mode: "greedy", backend: "cpu" });
  assert.ok(result.ok, JSON.stringify(result).slice(0, 300));
  assert.equal(result.actions.length, 500);
  assert.equal(result.rewards.length, 500);
  assert.equal(result.frames.length, 501, "the reset's frame and one per step");
  assert.equal(result.episodeReturn, 500);
  assert.deepEqual(result.ending, { kind: "truncated", by: "maxEpisodeSteps", maxEpisodeSteps: 500 });
});

test("an episode the environment terminates says so; a cap below the episode's length says playback stopped drawing", async () => {
  const done = await playbackEpisode(fixture("walk-500.rl.ts"), { policy: always(1), mode: "greedy", backend: "cpu" });
  assert.ok(done.ok);
  assert.equal(done.actions.length, 5);
  assert.equal(done.frames.length, 6);
  assert.deepEqual(done.ending, { kind: "terminated" });

  const cut = await playbackEpisode(fixture("walk-500.rl.ts"), { policy: always(0), mode: "greedy", maxFrames: 20, backend: "cpu" });
  assert.ok(cut.ok);
  assert.equal(cut.actions.length, 20);
  assert.equal(cut.frames.length, 21);
  assert.deepEqual(cut.ending, { kind: "cut", steps: 20 });
});
