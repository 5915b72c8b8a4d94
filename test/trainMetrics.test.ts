/**
 * Per-update metrics describe that update's episodes only: the rollout's buffers are sized
 * for a full update, and the last update of a budget may hold fewer episodes.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadInProcess } from "../bench/harness";
import type { UpdateMetrics } from "../server/src/protocol";
import { train } from "../server/src/rl/train";
import { fixture } from "./helpers";

test("the last, smaller update reports the mean length of its own episodes", async () => {
  // Every episode is truncated at 5 steps; a budget of 24 episodes is an update of 16, then one of 8.
  const { user, guard } = await loadInProcess(fixture("training-float32-overflow.rl.ts"), "cpu");
  const updates: UpdateMetrics[] = [];
  await train(user, guard, {
    overrides: { episodesPerUpdate: 16, maxEpisodes: 24, policy: { hidden: [], activation: "relu" } },
    backend: "cpu",
    runDir: null,
    onProgress: (m) => updates.push(m),
  });
  assert.deepEqual(
    updates.map((m) => m.episodes),
    [16, 24],
  );
  assert.deepEqual(
    updates.map((m) => m.episodeLengthMean),
    [5, 5],
  );
  // The policy starts uniform (its last layer is zero): the first update's entropy is ln 2 per step.
  assert.ok(Math.abs(updates[0].policyEntropy - Math.LN2) < 1e-6, `entropy ${updates[0].policyEntropy}`);
  // Per step of the update's own episodes: at most ln 2, and far above half of it after one small step.
  assert.ok(updates[1].policyEntropy <= Math.LN2 + 1e-9 && updates[1].policyEntropy > Math.LN2 / 2, `entropy ${updates[1].policyEntropy}`);
  // Returns: 5 steps of 1 or 1/2 each.
  for (const m of updates) assert.ok(m.returnMin >= 2.5 && m.returnMax <= 5, JSON.stringify(m));
});
