/**
 * The `training` export is checked value by value, by type as well as range: a setting
 * written as a string ("0.99", "false") is an error rather than a string in summary.json or a
 * truthy flag; a key that is no setting (a typo) is reported with the setting it was probably
 * meant to be; a non-object export is reported; every bad property gets its own diagnostic,
 * on its own line, with the value as written and the type expected.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { inspect } from "node:util";
import { checkEnvironment } from "../server/src/api";
import { DEFAULT_SETTINGS, resolveSettings } from "../server/src/rl/settings";
import { UserCodeError, type UserFailure } from "../server/src/rl/userCode";
import { fixture, lineOf } from "./helpers";

/** The failures `resolveSettings` reports for an export, or [] when it accepts it. */
function failuresOf(exported: unknown): UserFailure[] {
  try {
    resolveSettings(exported, {});
    return [];
  } catch (error) {
    if (!(error instanceof UserCodeError)) throw error;
    return [error.failure, ...(error.failure.also ?? [])];
  }
}

const WRONG_TYPES: Array<[exported: Record<string, unknown>, property: string, shown: string]> = [
  [{ gamma: "0.99" }, "gamma", '"0.99" (a string)'],
  [{ learningRate: "0.1" }, "learningRate", '"0.1" (a string)'],
  [{ entropyCoef: "0" }, "entropyCoef", '"0" (a string)'],
  [{ normalizeAdvantages: "yes" }, "normalizeAdvantages", '"yes" (a string)'],
  [{ normalizeAdvantages: "false" }, "normalizeAdvantages", '"false" (a string)'],
  [{ maxEpisodes: "100" }, "maxEpisodes", '"100" (a string)'],
  [{ episodesPerUpdate: "16" }, "episodesPerUpdate", '"16" (a string)'],
  [{ seed: "1" }, "seed", '"1" (a string)'],
  [{ policy: null }, "policy", "null"],
  [{ policy: { hidden: "32" } }, "policy.hidden", '"32" (a string)'],
  [{ value: { learningRate: -1 } }, "value.learningRate", "-1"],
  [{ value: { stepsPerUpdate: 0.5 } }, "value.stepsPerUpdate", "0.5"],
  [{ learningRate: Infinity }, "learningRate", "Infinity"],
  [{ gamma: NaN }, "gamma", "NaN"],
];

for (const [exported, property, shown] of WRONG_TYPES)
  test(`training ${inspect(exported)} is invalid-training on ${property}, showing ${shown}`, () => {
    const failures = failuresOf(exported);
    assert.equal(failures.length, 1, JSON.stringify(failures));
    const [f] = failures;
    assert.equal(f.code, "invalid-training");
    assert.equal(f.member, "training");
    assert.equal(f.property, property);
    assert.ok(f.message.includes(`got ${shown}.`), f.message);
    assert.match(f.message, /must be (a |an |true|")/, "the message names what is expected");
  });

test("a string setting never reaches the settings (summary.json) as a string", () => {
  assert.throws(() => resolveSettings({ gamma: "0.99" }, {}), UserCodeError);
  const ok = resolveSettings({ gamma: 0.5, normalizeAdvantages: true, policy: { hidden: [] } }, { seed: 3 });
  assert.deepEqual(ok, { ...DEFAULT_SETTINGS, gamma: 0.5, normalizeAdvantages: true, seed: 3, policy: { hidden: [], activation: "relu" } });
});

test("an unknown key is reported on itself, naming the setting it is probably a typo of", () => {
  const cases: Array<[Record<string, unknown>, string, RegExp]> = [
    [{ learningrate: 0.5 }, "learningrate", /did you mean learningRate\?/],
    [{ gama: 0.9 }, "gama", /did you mean gamma\?/],
    [{ episodesPerUpdates: 8 }, "episodesPerUpdates", /did you mean episodesPerUpdate\?/],
    [{ policy: { hiden: [8] } }, "policy.hiden", /did you mean policy\.hidden\?/],
    [{ rewardThreshold: 475 }, "rewardThreshold", /property of the environment class/],
    [{ batchSize: 8 }, "batchSize", /the settings here are episodesPerUpdate, learningRate/],
  ];
  for (const [exported, property, hint] of cases) {
    const failures = failuresOf(exported);
    assert.equal(failures.length, 1, JSON.stringify(failures));
    assert.equal(failures[0].property, property);
    assert.match(failures[0].message, /is not a training setting and would be ignored/);
    assert.match(failures[0].message, hint);
  }
});

test("a training export that is not an object is reported on the export", () => {
  for (const exported of [() => ({ gamma: 0.9 }), 42, "fast", null, [16]]) {
    const failures = failuresOf(exported);
    assert.equal(failures.length, 1, String(exported));
    assert.equal(failures[0].property, undefined);
    assert.match(failures[0].message, /the training export must be an object of settings/);
  }
  assert.match(failuresOf(() => ({}))[0].message, /got a function\.$/);
});

test("every bad property is reported, one failure each", () => {
  const failures = failuresOf({ gamma: "0.99", learningRate: -1, learningrate: 0.5, policy: { activation: "sigmoid" } });
  assert.deepEqual(failures.map((f) => f.property).sort(), ["gamma", "learningRate", "learningrate", "policy.activation"]);
});

test("check places one diagnostic on each bad property of the export, in the file", async () => {
  const path = fixture("training-export-bad.rl.ts");
  const text = fs.readFileSync(path, "utf8");
  const result = await checkEnvironment(path, { backend: "cpu", episodes: 16 });
  assert.equal(result.ok, false);
  const byLine = new Map(result.diagnostics.map((d) => [d.range.start.line, d]));
  assert.equal(result.diagnostics.length, 4, JSON.stringify(result.diagnostics, null, 1));
  const lines = result.diagnostics.map((d) => d.range.start.line);
  assert.deepEqual(
    lines,
    [...lines].sort((a, b) => a - b),
    "in the order the properties are written",
  );
  for (const property of ["episodesPerUpdate", "learningrate", "normalizeAdvantages", "policy.activaton"]) {
    const d = byLine.get(lineOf(text, `MARK: ${property}`));
    assert.ok(d, `a diagnostic on the line of ${property}`);
    assert.equal(d.code, "invalid-training");
    assert.equal(d.severity, "error");
    assert.ok(d.message.startsWith(`training.${property} `), d.message);
  }
  assert.match(byLine.get(lineOf(text, "MARK: episodesPerUpdate"))?.message ?? "", /got "16" \(a string\)/);
});

test("check reports a function exported as training on its name", async () => {
  const path = fixture("training-export-bad.rl.ts");
  const source = fs.readFileSync(path, "utf8");
  const contents = source.slice(0, source.indexOf("export const training")) + "export function training() {\n  return { gamma: 0.9 };\n}\n";
  const result = await checkEnvironment(path, { backend: "cpu", episodes: 16, contents });
  assert.equal(result.diagnostics.length, 1, JSON.stringify(result.diagnostics));
  const [d] = result.diagnostics;
  assert.equal(d.code, "invalid-training");
  assert.equal(d.range.start.line, lineOf(contents, "export function training"));
  assert.match(d.message, /got a function/);
});
