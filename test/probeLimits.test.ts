/**
 * A probe has a total bound in CPU time whatever a step costs, and says what it saw; the
 * engine's own size limits are reported as `resource-limit`, never as a crash, and `train`
 * never exits 0 after failing.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkEnvironment, trainEnvironment } from "../server/src/api";
import { RunnerPool } from "../server/src/sandbox/hostJobs";
import { cli, example, fixture, lineOf } from "./helpers";

const pool = new RunnerPool("cpu");
after(() => pool.dispose());

for (const [file, call] of [
  ["slow-step.rl.ts", "step"],
  ["slow-reward.rl.ts", "reward"],
] as const) {
  test(`${file}: the check stops at its CPU-time bound with slow-step on ${call}(), saying what it saw`, async () => {
    const text = fs.readFileSync(fixture(file), "utf8");
    // 400 ms of CPU per call against the probe's bound of 5 s of CPU time.
    const result = await checkEnvironment(fixture(file), { pool });
    assert.deepEqual(
      result.diagnostics.map((d) => [d.code, d.severity, d.range.start.line]),
      [["slow-step", "information", lineOf(text, "MARK: slow-step")]],
      JSON.stringify(result.diagnostics),
    );
    const message = result.diagnostics[0].message;
    assert.match(
      message,
      new RegExp(
        `^${call}\\(\\) takes [\\d.]+ ms of CPU time per call\\. .* The check stopped at its bound of 5 s of CPU time after \\d+ steps? and 0 of its 256 episodes`,
      ),
    );
    // 16 episodes per update of up to 50 steps at ~0.4 s a step: minutes per update.
    assert.match(
      message,
      /Training collects 16 episodes per update: with episodes of up to 50 steps that is up to [\d.]+ (ms|s|min|h) per update/,
    );
    assert.equal(result.stats, null, "no statistics from a sample cut short");
  });
}

test("a fast example is not called slow, and is measured in full", async () => {
  const result = await checkEnvironment(example("cartpole.rl.ts"), { pool });
  assert.deepEqual(result.diagnostics, []);
  assert.equal(result.stats?.episodes, 256);
});

test("`train` on a file over the engine's limits exits 1 with resource-limit on the marked line", () => {
  const file = fixture("huge-episode.rl.ts");
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "rlp-limits-"));
  const r = cli(["train", file, "--backend", "cpu", "--json", "--out", out], 60_000);
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l));
  assert.deepEqual(
    lines.map((l) => [l.type, l.code, l.severity, l.range?.start.line]),
    [["diagnostic", "resource-limit", "error", lineOf(fs.readFileSync(file, "utf8"), "MARK: resource-limit")]],
  );
  assert.match(lines[0].message, /limit is 128 MiB/);
});
