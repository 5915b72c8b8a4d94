/**
 * shaping-changes-optimum on corridors whose answers are known analytically (cells 0..5, the
 * goal at 5, actions left / stay / right, a deterministic step):
 *
 * - progress = d(s) − d(s′), d the distance to the goal, is γΦ(s′) − Φ(s) with Φ = −d for γ = 1:
 *   potential-based, so the optimum is unchanged (Ng, Harada & Russell 1999). With γ = 0.99 it is
 *   off by (1 − γ)Φ(s′): potential-based only for γ = 1, and still walking right is optimal.
 * - bonus = 0.5 for each step ending in cell 2: staying there is worth 0.5/(1 − 0.99) = 50 > 1, so
 *   value iteration's greedy action in cell 2 is "stay" (1) with the bonus and "right" (2) without.
 * - CartPole (Box observations) proves nothing: no shaping verdict at all.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { checkEnvironment } from "../server/src/api";
import { rewardHoverMarkdown } from "../server/src/check/hover";
import { example, fixture, lineOf } from "./helpers";

const shapingOf = async (file: string) => {
  const r = await checkEnvironment(file, { backend: "cpu" });
  return { r, terms: Object.fromEntries((r.summary?.terms ?? []).map((t) => [t.name, t.potentialBased])) };
};

test("a potential-based progress term (γ = 1) is recognised in the hover, with no diagnostic", async () => {
  const { r, terms } = await shapingOf(fixture("shaping/progress-potential.rl.ts"));
  assert.equal(terms.progress, "yes");
  assert.ok(!r.diagnostics.some((d) => d.code === "shaping-changes-optimum"));
  assert.match(rewardHoverMarkdown(r.summary!), /`progress` \|.*potential-based: the optimum is unchanged/);
});

test("the same progress term with γ = 0.99 is potential-based only for γ = 1, and leaves the optimum", async () => {
  const { r, terms } = await shapingOf(fixture("shaping/progress-gamma.rl.ts"));
  assert.equal(terms.progress, "gamma-one");
  assert.ok(!r.diagnostics.some((d) => d.code === "shaping-changes-optimum"));
});

test("a bonus for staying in cell 2 changes the optimal policy: shaping-changes-optimum on the term", async () => {
  const file = fixture("shaping/bonus-loop.rl.ts");
  const { r, terms } = await shapingOf(file);
  assert.equal(terms.bonus, "no");
  const d = r.diagnostics.filter((x) => x.code === "shaping-changes-optimum");
  assert.equal(d.length, 1);
  assert.equal(d[0].range.start.line, lineOf(fs.readFileSync(file, "utf8"), "MARK: bonus"));
  assert.match(d[0].message, /chooses action 1 in state 2 with the term, and 2 without it/);
});

test("continuous observations prove nothing: no shaping verdict", async () => {
  const { r } = await shapingOf(example("cartpole.rl.ts"));
  assert.ok(r.summary?.terms.every((t) => t.potentialBased === undefined));
  assert.ok(!r.diagnostics.some((d) => d.code === "shaping-changes-optimum"));
});
