/**
 * Callbacks user code schedules (a timer at the top level, a promise reaction left by step)
 * run outside any call the engine makes; an endless loop in one must still end the job with
 * `user-code-timeout`, placed on the loop inside the callback (for a training: userCallbacksTrain.slow.ts).
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { RunnerPool, checkEnvironment } from "../server/src/api";
import { fixture, lineOf } from "./helpers";

/** One warm runner for the file's checks (a runner that timed out is replaced behind it). */
const pool = new RunnerPool("wasm");
after(() => pool.dispose());

for (const file of ["loop-in-timer.rl.ts", "loop-in-promise.rl.ts"]) {
  test(`${file}: a callback that never returns is user-code-timeout on its looping line`, { timeout: 60_000 }, async () => {
    const entry = fixture(file);
    const text = fs.readFileSync(entry, "utf8");
    const result = await checkEnvironment(entry, { pool, episodes: 16 });
    assert.deepEqual(
      result.diagnostics.map((d) => d.code),
      ["user-code-timeout"],
      JSON.stringify(result.diagnostics),
    );
    const d = result.diagnostics[0];
    assert.equal(d.range.start.line, lineOf(text, "MARK: user-code-timeout"), d.message);
    assert.match(d.message, /callback the file scheduled .* did not return within 2000 ms/);
  });
}
