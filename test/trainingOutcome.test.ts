/** The notification a training's end gets, for each way it can end. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { outcomeNotice } from "../client/src/trainingOutcome";
import type { TrainingSummary } from "../server/src/protocol";

const summary = { environment: "CartPole", episodes: 1234, meanReturn100: 480.4, seed: 3 } as TrainingSummary;
const uri = "file:///w/cartpole.rl.ts";

describe("the notice of a training's end", () => {
  it("says solved, out of budget, stopped or failed, with the episodes and the mean return", () => {
    assert.deepEqual(outcomeNotice({ runId: "r", uri, reason: "solved", summary }), {
      severity: "information",
      text: "CartPole is solved after 1234 episodes (mean return of the last 100: 480).",
    });
    assert.equal(outcomeNotice({ runId: "r", uri, reason: "budget", summary }).severity, "warning");
    assert.match(outcomeNotice({ runId: "r", uri, reason: "budget", summary }).text, /spent its episode budget without being solved/);
    assert.equal(
      outcomeNotice({ runId: "r", uri, reason: "stopped", message: "training was stopped" }).text,
      "cartpole: training was stopped; nothing was saved.",
    );
    const failed = outcomeNotice({ runId: "r", uri, reason: "error", message: "step threw: boom." });
    assert.deepEqual(failed, { severity: "error", text: "Training cartpole failed: step threw: boom." });
  });

  it("names the seed of a seed group's run", () => {
    assert.match(outcomeNotice({ runId: "r", groupId: "g", uri, reason: "solved", summary }).text, /^CartPole \(seed 3\) is solved/);
  });
});
