/**
 * The checks of Gymnasium's and Stable-Baselines3's env checkers that the probe adds: each
 * fixture triggers exactly its diagnostic on its marked line, and the fixtures that must not
 * trigger stay clean (a [-2, 2] action space is fine for this policy; SB3 would warn).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { checkEnvironment } from "../server/src/api";
import { example, fixture, lineOf } from "./helpers";

const cases: [string, string, string, RegExp][] = [
  ["reset-unseeded-drift.rl.ts", "nondeterministic-reset", "MARK: reset", /reset\(\) without a seed/],
  ["reset-rejects-options.rl.ts", "bad-reset", "MARK: reset", /reset\(seed, options\) failed/],
  ["close-twice.rl.ts", "bad-close", "MARK: close", /second time/],
  ["render-not-scene.rl.ts", "bad-render", "MARK: render", /should return a Scene/],
  ["offset-actions.rl.ts", "action-space-not-normalized", "MARK: actionSpace", /0 lies outside the action bounds \[1, 5\]/],
  ["infinite-actions.rl.ts", "invalid-space", "MARK: actionSpace", /finite bounds/],
  [
    "unseeded-math-random.rl.ts",
    "nondeterministic-reset",
    "MARK: reset",
    /reset\(\) without a seed, each time right after reset\(seed=123\)/,
  ],
  ["default-seed.rl.ts", "nondeterministic-reset", "MARK: reset", /a default seed/],
  // Gymnasium's step determinism compares info too.
  ["info-counter.rl.ts", "nondeterministic-reset", "MARK: step", /step\(\) is not reproducible/],
];

for (const [name, code, mark, message] of cases)
  test(`${name}: exactly ${code} on the marked line`, async () => {
    const file = fixture(`gymnasium/${name}`);
    const r = await checkEnvironment(file, { backend: "cpu" });
    assert.deepEqual(
      r.diagnostics.map((d) => [d.code, d.range.start.line]),
      [[code, lineOf(fs.readFileSync(file, "utf8"), mark)]],
      JSON.stringify(r.diagnostics),
    );
    assert.match(r.diagnostics[0].message, message);
  });

for (const file of [
  fixture("gymnasium/two-wide-actions.rl.ts"),
  example("cartpole.rl.ts"),
  example("gridworld.rl.ts"),
  fixture("renders.rl.ts"),
])
  test(`${file.split("/").slice(-2).join("/")}: none of the parity checks fires`, async () => {
    const r = await checkEnvironment(file, { backend: "cpu" });
    const parity = ["bad-render", "bad-close", "action-space-not-normalized", "bad-reset", "nondeterministic-reset"];
    assert.deepEqual(
      r.diagnostics.filter((d) => parity.includes(d.code)),
      [],
    );
  });
