/**
 * No process user code starts outlives the job that ran it: not one in a session of its own,
 * not an orphan adopted by init. More cases in processEscape.slow.ts.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkEnvironment, RunnerPool } from "../server/src/api";
import { LINUX, assertAllGone, withPidFile } from "./escapeHelpers";
import { fixture } from "./helpers";

test("a detached sleep followed by process.exit does not outlive the check", { skip: !LINUX }, async () => {
  await withPidFile(async (pids) => {
    const r = await checkEnvironment(fixture("escape-detached-exit.rl.ts"), { backend: "wasm", episodes: 4 });
    assert.equal(r.diagnostics[0]?.code, "user-code-crashed", JSON.stringify(r.diagnostics));
    await assertAllGone(pids());
  });
});

test("an orphan in a new session does not outlive a pooled check, and its runner is retired", { skip: !LINUX }, async () => {
  await withPidFile(async (pids) => {
    const pool = new RunnerPool("wasm");
    try {
      pool.warm();
      const r = await checkEnvironment(fixture("escape-setsid-orphan.rl.ts"), { pool, episodes: 4 });
      assert.equal(r.ok, true, JSON.stringify(r.diagnostics));
      // Killed by the runner after the job (the orphan is under no process of ours), not by the pool's end.
      await assertAllGone(pids());
      // The runner that served it was retired; the spare started behind it is all that is left.
      assert.equal(pool.size, 1);
    } finally {
      pool.dispose();
    }
  });
});
