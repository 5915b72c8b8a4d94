/**
 * RL: Fuzz Environment / `rl-playground fuzz`: random actions over the whole action space (the
 * initial policy, N(0, 1), essentially never acts above 9.5) find the failure, reported once per
 * kind with its count and the 1-minimal episode that leads to it: a single action above 9.5.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { fuzzEnvironment } from "../server/src/api";
import { cli, fixture, lineOf } from "./helpers";

const FILE = fixture("fuzz-edge.rl.ts");

test("the fuzzer finds the failure, grouped by kind, with a one-action episode", async () => {
  const r = await fuzzEnvironment(FILE, { backend: "cpu", episodes: 200 });
  assert.equal(r.episodes, 200);
  assert.equal(r.findings.length, 1, "one kind of failure");
  const [{ diagnostic, count }] = r.findings;
  assert.equal(diagnostic.code, "user-code-threw");
  assert.equal(diagnostic.range.start.line, lineOf(fs.readFileSync(FILE, "utf8"), "MARK: throw"));
  // P(an episode of 20 uniform actions has one above 9.5) = 1 − 0.975^20 ≈ 0.40: about 80 of 200.
  assert.ok(count > 40 && count < 130, `count ${count}`);
  assert.equal(diagnostic.episode?.actions.length, 1);
  assert.ok((diagnostic.episode?.actions[0] as number[])[0] > 9.5);
});

test("rl-playground fuzz prints the finding and exits 1", () => {
  const r = cli(["fuzz", FILE, "--episodes", "100", "--backend", "cpu"]);
  assert.equal(r.status, 1, r.stderr);
  assert.match(r.stdout, /user-code-threw/);
  assert.match(r.stdout, /100 random episodes, user-code-threw in \d+ episodes/);
});
