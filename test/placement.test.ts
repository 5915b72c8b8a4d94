/**
 * Hostile files a new user writes end in one diagnostic with the
 * right code and severity on the line where they would fix it (the `MARK:` line), and
 * innocent ones in none.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { checkEnvironment } from "../server/src/api";
import { findSourcePlaces } from "../server/src/check/sourcePlaces";
import type { DiagnosticCode, Severity } from "../server/src/protocol";
import { RunnerPool } from "../server/src/sandbox/hostJobs";
import { fixture, lineOf } from "./helpers";

const pool = new RunnerPool("cpu");
after(() => pool.dispose());

const CASES: Array<[file: string, code: DiagnosticCode, severity: Severity, says: RegExp]> = [
  // Our limits, on the space or the training property at fault, with the limit and the size asked.
  ["huge-action-space.rl.ts", "resource-limit", "error", /Discrete\(1\.00e9\) is over the engine's limit of 65,536 actions/],
  ["huge-episodes-per-update.rl.ts", "resource-limit", "error", /episodesPerUpdate = 1\.00e9 is over the engine's limit of 16,384/],
  ["huge-episode.rl.ts", "resource-limit", "error", /maxEpisodeSteps = 1\.00e9 is over the engine's limit: .* 238 GiB .* limit is 128 MiB/],
  ["huge-policy.rl.ts", "resource-limit", "error", /4\.00e8 parameters .* over the engine's limit of 1,048,576/],
  // Nondeterminism on the culprit, whatever else the probe finds.
  [
    "forgot-super-reset.rl.ts",
    "nondeterministic-reset",
    "warning",
    /super\.reset\(seed\) is missing from reset\(\).*Call super\.reset\(seed\) first/,
  ],
  ["math-random-in-step.rl.ts", "nondeterministic-reset", "warning", /^step\(\) draws from Math\.random\(\).*Use this\.rng\(\)/],
  ["math-random-in-reward.rl.ts", "nondeterministic-reset", "warning", /^reward\(\) draws from Math\.random\(\)/],
  ["nondeterministic-reset.rl.ts", "nondeterministic-reset", "warning", /^reset\(\) draws from Math\.random\(\)/],
  // Placement and wording.
  ["reward-not-function.rl.ts", "bad-step", "error", /the `reward` export is 1, not a function/],
  ["loop-at-load.rl.ts", "user-code-timeout", "error", /top-level code did not return/],
  // The throw comes at the third step whatever the actions: any three actions make the 1-minimal episode.
  [
    "throw-string.rl.ts",
    "user-code-threw",
    "error",
    /^step\(\) threw "the pole snapped"\. The episode that leads here: reset\(seed=\d+\), then the actions \[[01],[01],[01]\]\.$/,
  ],
  ["throw-in-timer.rl.ts", "user-code-threw", "error", /thrown asynchronously .*: Error: the logger lost its connection/],
  ["rejected-promise.rl.ts", "user-code-threw", "error", /thrown asynchronously .*: Error: no disk space for the replay/],
  ["async-step.rl.ts", "bad-step", "error", /^step\(\) is async \(it returned a Promise\).*Remove `async`/],
  [
    "top-level-await.rl.ts",
    "transpile-error",
    "error",
    /top-level await is not supported.*Fix: load data synchronously \(e\.g\. fs\.readFileSync/,
  ],
  ["degenerate-action-box.rl.ts", "invalid-space", "error", /Box low\[1\] = high\[1\] = 0\.5/],
  ["bigint-reward.rl.ts", "bad-step", "error", /[01]n \(a BigInt\)/],
  [
    "huge-returns.rl.ts",
    "not-finite",
    "error",
    /returns up to 1\.00e\+20 make the policy gradient overflow .* divide it by about 1\.00e\+17/,
  ],
];

for (const [file, code, severity, says] of CASES) {
  test(`${file}: ${code} (${severity}) on the marked line`, async () => {
    const path = fixture(file);
    const text = fs.readFileSync(path, "utf8");
    const marker = /MARK: [\w-]+/.exec(text)?.[0] as string;
    const result = await checkEnvironment(path, { pool, episodes: 64 });
    const found = result.diagnostics.filter((d) => d.code === code);
    assert.equal(found.length, 1, JSON.stringify(result.diagnostics, null, 1));
    const d = found[0];
    // Errors stop the probe, so they come alone; a warning may come with others, but only the nondeterminism ones here.
    if (severity === "error") assert.equal(result.diagnostics.length, 1, JSON.stringify(result.diagnostics));
    assert.equal(d.severity, severity);
    assert.equal(d.range.start.line, lineOf(text, marker), `on line ${d.range.start.line + 1}: ${d.message}`);
    assert.match(d.message, says);
  });
}

test("the nondeterminism verdict does not rest on luck: every probe seed finds it", async () => {
  for (const seed of [0, 1, 2, 3]) {
    const result = await checkEnvironment(fixture("forgot-super-reset.rl.ts"), { pool, episodes: 32, settings: { seed } });
    assert.deepEqual(
      result.diagnostics.filter((d) => d.code === "nondeterministic-reset").map((d) => d.range.start.line),
      [9],
      `seed ${seed}`,
    );
  }
});

test("a step that mutates and returns one array still shows the reward real transitions", async () => {
  const result = await checkEnvironment(fixture("aliased-observation.rl.ts"), { pool, episodes: 64 });
  assert.deepEqual(result.diagnostics, []);
  // Every step moves by ±1, so progress is never 0: the reward saw two different observations.
  assert.equal(result.summary?.rewards.min, -1);
  assert.equal(result.summary?.rewards.max, 1);
});

test("an observation on a Box bound in float32 (Gymnasium's semantics) is inside the space", async () => {
  const result = await checkEnvironment(fixture("box-bound-float32.rl.ts"), { pool, episodes: 64 });
  assert.deepEqual(result.diagnostics, []);
});

test("a syntax tree too deep for the parser still gets checked: the diagnostics fall back to the file's first line", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rlp-deep-"));
  const file = path.join(dir, "deep.rl.ts");
  const depth = 30_000;
  // The nesting overflows TypeScript's recursive parser (without the fallback the check itself threw) and V8's
  // when the runner loads the file: that is the user's error, placed on the first line.
  const source = `import { Box, Discrete, Environment } from "rl-playground";

export const DEEP = ${"[".repeat(depth)}${"]".repeat(depth)};

export default class Deep extends Environment<number[], number> {
  observationSpace = new Box([0], [1]);
  actionSpace = new Discrete(2);
  maxEpisodeSteps = 1;
  reset(seed?: number): [number[], Record<string, unknown>] {
    super.reset(seed);
    return [[0], {}];
  }
  step(action: number): [number[], number, boolean, boolean, Record<string, unknown>] {
    return [[0], 1, true, false, {}];
  }
}
`;
  fs.writeFileSync(file, source);
  const places = findSourcePlaces(file, source);
  assert.equal(places.file.start.line, 0);
  const result = await checkEnvironment(file, { pool, episodes: 64 });
  assert.deepEqual(
    result.diagnostics.map((d) => [d.code, d.range.start.line]),
    [["user-code-threw", 0]],
  );
  assert.match(result.diagnostics[0]!.message, /Maximum call stack size exceeded/);
});
