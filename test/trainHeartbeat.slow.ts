/** A slow environment still shows training progress at least once a second. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { trainEnvironment } from "../server/src/api";
import type { TrainingHeartbeat } from "../server/src/rl/train";
import { fixture } from "./helpers";

test("`train` on a slow environment reports a heartbeat at least once a second between updates", async () => {
  const heartbeats: TrainingHeartbeat[] = [];
  let updates = 0;
  const controller = new AbortController();
  // Stop after enough heartbeats, or at the latest after 20 s (today none ever comes: an update takes minutes).
  const latest = setTimeout(() => controller.abort(), 20_000);
  const result = await trainEnvironment(fixture("slow-step.rl.ts"), {
    backend: "cpu",
    signal: controller.signal,
    onProgress: () => updates++,
    onHeartbeat: (h) => {
      heartbeats.push(h);
      if (heartbeats.length === 4) controller.abort();
    },
  });
  clearTimeout(latest);
  // Stopped: with a summary when the runner stopped between calls in its grace time, else without one.
  assert.ok(!result.ok || result.summary.reason === "stopped", JSON.stringify(result));
  assert.equal(updates, 0, "no update finished: the heartbeats were the only sign of life");
  assert.ok(heartbeats.length >= 4, `${heartbeats.length} heartbeats`);
  for (const h of heartbeats) assert.deepEqual([h.type, h.update, h.episodes], ["heartbeat", 1, 0]);
  // The runner thread's beats and the watcher's repeats use two clocks: compare first and last only.
  const [first, last] = [heartbeats[0], heartbeats[heartbeats.length - 1]];
  assert.ok(last.seconds > first.seconds, "the clock moves on");
  assert.ok(last.envSteps >= first.envSteps, "steps only grow");
});
