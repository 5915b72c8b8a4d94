/**
 * termination-incentive and unreachable-threshold on environments whose answer is known:
 *
 * - living-penalty: CartPole's dynamics with −1 per step. An episode of T steps returns −T, so
 *   the return is a decreasing function of the episode's length and falling at once is optimal.
 * - living-reward-goal: +0.1 per step and a bonus of 1 at a goal 6 cells away, episodes of up to
 *   100 steps: wandering for 100 steps returns 10, reaching the goal in 6 returns 1.6, so
 *   avoiding the goal is optimal.
 * - CartPole (+1 per step, termination is failure) and gridworld (a step cost, termination is
 *   the goal) are the intended designs: no diagnostic.
 * - unreachable-threshold: arms paying 0.2, 0.5, 1 with rewardThreshold 2.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { checkEnvironment } from "../server/src/api";
import { example, fixture, lineOf } from "./helpers";

const placed = async (file: string) => {
  const r = await checkEnvironment(file, { backend: "cpu" });
  return r.diagnostics.map((d) => [d.code, d.range.start.line, d.message] as const);
};

test("a living penalty where failure terminates: termination-incentive on the reward, saying it pushes toward failing fast", async () => {
  const file = fixture("living-penalty.rl.ts");
  const [[code, line, message], ...rest] = await placed(file);
  assert.equal(code, "termination-incentive");
  assert.equal(line, lineOf(fs.readFileSync(file, "utf8"), "MARK: reward"));
  assert.match(message, /ending the episode raises the return/);
  assert.match(message, /fail fast/);
  assert.deepEqual(rest, []);
});

test("a living reward that outweighs the goal: termination-incentive saying the policy learns to avoid the goal", async () => {
  const file = fixture("living-reward-goal.rl.ts");
  const d = (await placed(file)).find(([code]) => code === "termination-incentive");
  assert.ok(d);
  assert.equal(d[1], lineOf(fs.readFileSync(file, "utf8"), "MARK: reward"));
  assert.match(d[2], /avoid the goal/);
});

for (const name of ["cartpole.rl.ts", "gridworld.rl.ts", "bandit.rl.ts"])
  test(`examples/${name}: no termination-incentive (the intended reward design)`, async () => {
    assert.ok(!(await placed(example(name))).some(([code]) => code === "termination-incentive"));
  });

test("a rewardThreshold above the enumerated best return: unreachable-threshold on rewardThreshold", async () => {
  const file = fixture("unreachable-threshold.rl.ts");
  const d = await placed(file);
  assert.deepEqual(
    d.map(([code, line]) => [code, line]),
    [["unreachable-threshold", lineOf(fs.readFileSync(file, "utf8"), "MARK: unreachable-threshold")]],
  );
  assert.match(d[0][2], /no episode can return more than 1/);
});
