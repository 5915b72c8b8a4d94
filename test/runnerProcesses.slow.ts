/** User code's processes die with the runner: after a check, pooled or not, and on a time-out or a cancel. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkEnvironment, RunnerPool } from "../server/src/api";
import { eventually, fixture, processesMatching } from "./helpers";

test("processes started by user code (plain and detached) do not outlive the check, pooled or not", async () => {
  for (const pool of [undefined, new RunnerPool("wasm")]) {
    const r = await checkEnvironment(fixture("spawns-children.rl.ts"), { pool, backend: "wasm", episodes: 8 });
    assert.equal(r.ok, true, JSON.stringify(r.diagnostics));
    const gone = await eventually(() => processesMatching("sleep 987").length === 0, 3000);
    assert.ok(gone, `left behind: ${processesMatching("sleep 987")}`);
    pool?.dispose();
  }
});

test("a child blocking a call (execSync of a long sleep) dies with the runner on time-out and on cancel", async () => {
  const timedOut = await checkEnvironment(fixture("exec-sleep-in-step.rl.ts"), { backend: "wasm", callTimeoutMs: 500, episodes: 4 });
  assert.equal(timedOut.diagnostics[0]?.code, "user-code-timeout");
  assert.ok(await eventually(() => processesMatching("sleep 9873").length === 0, 3000), "the sleep outlived the time-out");

  const controller = new AbortController();
  const pending = checkEnvironment(fixture("exec-sleep-in-step.rl.ts"), { backend: "wasm", signal: controller.signal, episodes: 4 });
  assert.ok(await eventually(() => processesMatching("sleep 9873").length > 0, 10_000), "the sleep started");
  controller.abort();
  assert.equal((await pending).stopped, true);
  assert.ok(await eventually(() => processesMatching("sleep 9873").length === 0, 3000), "the sleep outlived the cancel");
});
