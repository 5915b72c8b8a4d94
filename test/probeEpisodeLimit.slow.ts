/**
 * The probe's episode count is the caller's: beyond the engine's probe limit the CLI refuses
 * it as a bad argument (exit 2), and the API as `resource-limit`; within it, the probe runs in
 * batches of episodesPerUpdate, so the count never sizes its memory. And every failure without a stack frame gets a range
 * (a class without a constructor, a thrown string that names an Object.prototype key).
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { RunnerPool, checkEnvironment } from "../server/src/api";
import { MAX_PROBE_EPISODES } from "../server/src/rl/limits";
import { probeBatches } from "../server/src/rl/probe";
import { cli, example, fixture, lineOf } from "./helpers";

/** One warm runner for the file's checks (a runner that timed out is replaced behind it). */
const pool = new RunnerPool("wasm");
after(() => pool.dispose());

test("check --episodes beyond the engine's probe limit is a bad argument (exit 2), not a false timeout", () => {
  const r = cli(["check", example("bandit.rl.ts"), "--episodes", "1000000", "--json"], 60_000);
  assert.equal(r.status, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /1000000 is out of range: expected 2 to 65,536/);
  assert.equal(r.stdout, "");
});

test("a probe at the limit runs in batches of episodesPerUpdate: its memory is one batch's, whatever the count", () => {
  const sizes = probeBatches(16, MAX_PROBE_EPISODES);
  assert.equal(sizes.length, MAX_PROBE_EPISODES / 16);
  assert.ok(sizes.every((n) => n === 16));
});

test("the API refuses a probe past the probe limit before creating its environments", async () => {
  const result = await checkEnvironment(example("bandit.rl.ts"), { pool, episodes: MAX_PROBE_EPISODES + 1 });
  assert.deepEqual(
    result.diagnostics.map((d) => d.code),
    ["resource-limit"],
  );
  assert.ok(result.diagnostics[0].range, "placed");
});

for (const file of ["loop-in-field.rl.ts", "throw-tostring.rl.ts"]) {
  test(`${file}: a failure without a stack frame is placed on its marked line`, { timeout: 60_000 }, async () => {
    const entry = fixture(file);
    const text = fs.readFileSync(entry, "utf8");
    const result = await checkEnvironment(entry, { pool, episodes: 16 });
    assert.equal(result.diagnostics.length, 1, JSON.stringify(result.diagnostics));
    const d = result.diagnostics[0];
    assert.ok(d.range, `no range: ${JSON.stringify(d)}`);
    assert.equal(d.range.start.line, lineOf(text, "MARK:"), d.message);
  });
}
