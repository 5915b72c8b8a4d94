/**
 * Numbers that JavaScript holds but float32 does not: the policy, its returns and its
 * gradients are computed in float32, where |x| > 3.4028234663852886e38 is Infinity and
 * everything after it NaN. Such an observation, reward, reward term, or episode return
 * is `not-finite`, placed on the function that produced it, rather than silent NaN stats.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { checkEnvironment } from "../server/src/api";
import { FLOAT32_MAX, checkEpisodeReturns, checkFinite } from "../server/src/rl/envSpec";
import { UserCodeError } from "../server/src/rl/userCode";
import { fixture, lineOf } from "./helpers";

const FILE = fixture("training-float32-overflow.rl.ts");
const SOURCE = fs.readFileSync(FILE, "utf8");

/** The fixture with its constants replaced, checked as an unsaved buffer. */
function checkWith(constants: { OBSERVATION?: string; REWARD?: string; STEPS?: string }) {
  let contents = SOURCE;
  for (const [name, value] of Object.entries(constants))
    contents = contents.replace(new RegExp(`const ${name} = [^;]+;`), `const ${name} = ${value};`);
  return checkEnvironment(FILE, { backend: "cpu", episodes: 32, contents });
}

/** The one float32 value above FLOAT32_MAX's neighbourhood that JavaScript still calls finite: its next double up. */
const JUST_ABOVE = FLOAT32_MAX * (1 + Number.EPSILON);

test("float32's largest value passes, the next double up is not-finite, for observations and rewards", () => {
  assert.equal(Math.fround(FLOAT32_MAX), FLOAT32_MAX);
  for (const kind of ["observations", "rewards"] as const) {
    assert.doesNotThrow(() => checkFinite(FLOAT32_MAX, "step", "x", kind));
    assert.doesNotThrow(() => checkFinite(-FLOAT32_MAX, "step", "x", kind));
    for (const bad of [JUST_ABOVE, -1e300, 1e308, Infinity, NaN]) {
      assert.throws(
        () => checkFinite(bad, "step", "x", kind),
        (e: unknown) => e instanceof UserCodeError && e.failure.code === "not-finite" && e.failure.call === "step",
      );
    }
  }
});

test("an episode whose rewards sum beyond float32 is not-finite, whatever each reward is", () => {
  const rewards = new Float64Array([1e38, 1e38, 1e38, 1e38, 0]);
  assert.doesNotThrow(() => checkEpisodeReturns(rewards, 0, 3, "step"), "3e38 fits");
  assert.throws(() => checkEpisodeReturns(rewards, 0, 4, "step"), /sum to 4\.00e\+38.*32-bit floats/);
  // Opposite signs cancel: every return-to-go stays within float32.
  assert.doesNotThrow(() => checkEpisodeReturns(new Float64Array([3e38, -3e38, 3e38, -3e38]), 0, 4, "reward"));
  // The episode starts at its offset in the batch.
  assert.doesNotThrow(() => checkEpisodeReturns(new Float64Array([3e38, 3e38, 1, 1]), 2, 2, "step"));
});

test("check: an observation of 1e300 in an unbounded Box is not-finite on reset, not a false reward-constant", async () => {
  const result = await checkWith({ OBSERVATION: "1e300" });
  assert.deepEqual(
    result.diagnostics.map((d) => d.code),
    ["not-finite"],
    JSON.stringify(result.diagnostics),
  );
  const [d] = result.diagnostics;
  assert.equal(result.ok, false);
  assert.equal(d.range.start.line, lineOf(SOURCE, "MARK: reset"));
  assert.match(d.message, /observation\[0\] = 1e\+300: too large for the 32-bit floats the policy computes in/);
});

for (const reward of ["1e308", "-1e308"])
  test(`check: a reward of ${reward} is not-finite on step, not exit 0 with null stats`, async () => {
    const result = await checkWith({ REWARD: reward });
    assert.deepEqual(
      result.diagnostics.map((d) => d.code),
      ["not-finite"],
      JSON.stringify(result.diagnostics),
    );
    assert.equal(result.diagnostics[0].range.start.line, lineOf(SOURCE, "MARK: step"));
    assert.match(result.diagnostics[0].message, /reward of -?5e\+307|reward of -?1e\+308/);
    assert.match(result.diagnostics[0].message, /too large for the 32-bit floats/);
  });

test("check: rewards of 1e38 a step that sum beyond float32 over an episode are not-finite", async () => {
  // 8 steps of at least 0.5e38: every return is at least 4e38.
  const result = await checkWith({ REWARD: "1e38", STEPS: "8" });
  assert.deepEqual(
    result.diagnostics.map((d) => d.code),
    ["not-finite"],
    JSON.stringify(result.diagnostics),
  );
  assert.match(result.diagnostics[0].message, /the rewards of an episode from step \d+ to its end \(8 steps\) sum to/);
});

test("check: rewards and observations well inside float32 give statistics, not not-finite", async () => {
  const result = await checkWith({ REWARD: "1000", OBSERVATION: "1000" });
  assert.ok(!result.diagnostics.some((d) => d.code === "not-finite"), JSON.stringify(result.diagnostics));
  assert.ok(Number.isFinite(result.stats?.gradient.traceCov), JSON.stringify(result.stats));
});

test("check: a reward of 3e38, which float32 holds, passes the value check; its squared gradients do not, and that is said", async () => {
  const result = await checkWith({ REWARD: "3e38", STEPS: "1" });
  assert.equal(result.stats?.returnMean !== undefined && result.stats.returnMean > 1e38, true);
  // Not "too large" as a value; but training squares gradients of that size in float32 (Adam), so not-finite says
  // the gradient overflows, with the factor to scale the reward down by.
  assert.ok(!result.diagnostics.some((d) => /too large for the 32-bit floats/.test(d.message)), JSON.stringify(result.diagnostics));
  assert.deepEqual(
    result.diagnostics.map((d) => d.code),
    ["not-finite"],
  );
  assert.match(result.diagnostics[0]!.message, /make the policy gradient overflow .* divide it by about/);
});
