/** The status bar tooltip's server lines (client/src/statusTooltip.ts): the backend named once. */
import assert from "node:assert/strict";
import { test } from "node:test";
import { serverTooltipLines } from "../client/src/statusTooltip";

test("the tooltip names the backend once: the server's detailed line when it sent one", () => {
  const line =
    "RL Playground: backend wasm (auto: wasm: a policy of 4 parameters is under the 10k crossover; @tensorflow/tfjs-node not found)";
  const text = serverTooltipLines("wasm", line, null).join("\n\n");
  assert.equal(text.match(/backend \**wasm/g)?.length, 1, text);
  assert.match(text, /a policy of 4 parameters/);
  assert.match(text, /Click to open the training dashboard/);
});

test("without a detailed line the bare backend; another server message is added, not substituted", () => {
  assert.deepEqual(serverTooltipLines(null, null, null), [
    "RL Playground: backend **not chosen yet**",
    "Click to open the training dashboard.",
  ]);
  const text = serverTooltipLines(
    "cpu",
    "RL Playground: backend cpu (set by rlPlayground.backend)",
    "RL Playground: workspace trusted",
  ).join("\n\n");
  assert.equal(text.match(/backend \**cpu/g)?.length, 1, text);
  assert.match(text, /workspace trusted/);
});
