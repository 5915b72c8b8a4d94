/**
 * "RL: New Environment" writes one file a newcomer can train at once, opened as a tab of its
 * own: the template checks with no diagnostic at all and trains to its threshold. "RL: Add
 * Editor Typings" writes the tsconfig and typings that make `tsc` accept `import … from
 * "rl-playground"`. Also: how an existing tsconfig is merged, and the crash-restart budget of the client.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import ts from "typescript";
import { checkEnvironment, playbackEpisode } from "../server/src/api";
import type { PolicyWeights } from "../server/src/protocol";
import {
  TYPINGS_FILE,
  classNameFor,
  environmentSource,
  invalidBaseName,
  mergeTsconfig,
  newTsconfig,
  planNewEnvironment,
} from "../client/src/scaffold";
import { RestartBudget } from "../client/src/restartBudget";
import { ROOT } from "./helpers";

const TEMPLATE = fs.readFileSync(path.join(ROOT, "templates", "environment.rl.ts"), "utf8");

/** A workspace as "RL: New Environment" leaves it: the environment file alone. */
function newEnvironmentWorkspace(baseName: string): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rl-scaffold-"));
  const plan = planNewEnvironment(TEMPLATE, baseName);
  for (const w of plan.writes) fs.writeFileSync(path.join(dir, w.path), w.text);
  return { dir, file: path.join(dir, plan.open.path) };
}

/** Then "RL: Add Editor Typings": the typings and a tsconfig. */
function scaffoldWorkspace(baseName: string): { dir: string; file: string } {
  const { dir, file } = newEnvironmentWorkspace(baseName);
  fs.mkdirSync(path.join(dir, path.dirname(TYPINGS_FILE)), { recursive: true });
  fs.copyFileSync(path.join(ROOT, "dist", "types", "index.d.ts"), path.join(dir, TYPINGS_FILE));
  fs.writeFileSync(path.join(dir, "tsconfig.json"), newTsconfig());
  return { dir, file };
}

test("names: file names become class names, bad names are refused", () => {
  assert.equal(classNameFor("my-environment"), "MyEnvironment");
  assert.equal(classNameFor("grid_world2"), "GridWorld2");
  assert.equal(classNameFor("2d-walk"), "Env2dWalk");
  assert.equal(invalidBaseName("my-env"), undefined);
  assert.ok(invalidBaseName("a b"));
  assert.ok(invalidBaseName("../escape"));
  assert.ok(invalidBaseName(""));
});

test("New Environment writes the environment file alone (no tsconfig, no typings) and opens it as a tab of its own", () => {
  const plan = planNewEnvironment(TEMPLATE, "grid-walk");
  assert.deepEqual(
    plan.writes.map((w) => w.path),
    ["grid-walk.rl.ts"],
  );
  assert.deepEqual(plan.open, { path: "grid-walk.rl.ts", preview: false });
  assert.match(plan.writes[0].text, /export default class GridWalk extends Environment/);
  assert.doesNotMatch(plan.writes[0].text, /__CLASS_NAME__/);
});

test("with Add Editor Typings' tsconfig the workspace type-checks under tsc (no red squiggles)", () => {
  const { dir, file } = scaffoldWorkspace("my-environment");
  try {
    const parsed = ts.getParsedCommandLineOfConfigFile(
      path.join(dir, "tsconfig.json"),
      {},
      {
        ...ts.sys,
        onUnRecoverableConfigFileDiagnostic: (d) => assert.fail(ts.flattenDiagnosticMessageText(d.messageText, "\n")),
      },
    );
    assert.ok(parsed);
    assert.deepEqual(
      parsed.fileNames.map((f) => path.resolve(f)),
      [file],
    );
    const program = ts.createProgram(parsed.fileNames, parsed.options);
    const errors = ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n"));
    assert.deepEqual(errors, []);
    assert.match(fs.readFileSync(file, "utf8"), /export default class MyEnvironment extends Environment/);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the template checks with no diagnostic at all, not even information (test:slow trains it to its threshold)", async () => {
  const { dir, file } = newEnvironmentWorkspace("corridor");
  try {
    const check = await checkEnvironment(file, { backend: "cpu", settings: { seed: 0 } });
    assert.ok(check.ok, JSON.stringify(check.diagnostics));
    assert.deepEqual(
      check.diagnostics.map((d) => `${d.severity} ${d.code}: ${d.message}`),
      [],
    );
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("the template's render() draws the cells, the trail walked and a step count besides the goal and the agent", async () => {
  const { dir, file } = newEnvironmentWorkspace("corridor");
  try {
    // A linear policy whose greedy action is always 1 (right): three steps to the goal.
    const right: PolicyWeights = {
      hidden: [],
      activation: "relu",
      tensors: [
        { shape: [1, 2], values: [0, 0] },
        { shape: [2], values: [0, 1] },
      ],
      logStd: null,
    };
    const played = await playbackEpisode(file, { policy: right, mode: "greedy", backend: "cpu" });
    assert.ok(played.ok, JSON.stringify(played));
    assert.deepEqual(played.ending, { kind: "terminated" });
    const last = played.frames[played.frames.length - 1];
    const count = (type: string) => last.shapes.filter((s) => s.type === type).length;
    assert.equal(count("rect"), 7 + 1, "an outline per cell, and the goal");
    assert.equal(count("line"), 3, "the trail: one segment per step");
    assert.equal(count("circle"), 4 + 1, "a dot per position of the walk, and the agent");
    // The trail joins its dots: every segment starts and ends on one (a line off its dots reads as a stray stroke).
    const dots = last.shapes.flatMap((s) => (s.type === "circle" ? [`${s.cx.toFixed(3)},${s.cy.toFixed(3)}`] : []));
    for (const s of last.shapes)
      if (s.type === "line")
        for (const end of [`${s.x1.toFixed(3)},${s.y1.toFixed(3)}`, `${s.x2.toFixed(3)},${s.y2.toFixed(3)}`])
          assert.ok(dots.includes(end), `trail end ${end} is on a dot`);
    assert.ok(last.shapes.some((s) => s.type === "text" && s.text === "step 3"));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("an existing tsconfig gets the path mapping, relative to baseUrl; JSON with comments is left to the user", () => {
  const plain = mergeTsconfig(JSON.stringify({ compilerOptions: { strict: true } }));
  assert.equal(plain.kind, "merged");
  assert.deepEqual(JSON.parse(plain.kind === "merged" ? plain.text : "{}").compilerOptions, {
    strict: true,
    paths: { "rl-playground": [`./${TYPINGS_FILE}`] },
  });

  const withBase = mergeTsconfig(JSON.stringify({ compilerOptions: { baseUrl: "src", paths: { "@/*": ["*"] } } }));
  assert.equal(withBase.kind, "merged");
  assert.deepEqual(JSON.parse(withBase.kind === "merged" ? withBase.text : "{}").compilerOptions.paths, {
    "@/*": ["*"],
    "rl-playground": [`../${TYPINGS_FILE}`],
  });

  assert.equal(mergeTsconfig(JSON.stringify({ compilerOptions: { paths: { "rl-playground": ["x"] } } })).kind, "unchanged");
  const commented = mergeTsconfig('{\n  // comments are allowed in tsconfig\n  "compilerOptions": {}\n}');
  assert.equal(commented.kind, "manual");
  assert.match(commented.kind === "manual" ? commented.mapping : "", /rl-playground/);
});

test("a crashing server is restarted 4 times within 3 minutes, then not, then again once the window has passed", () => {
  const budget = new RestartBudget(4, 180_000);
  const granted = [0, 1_000, 2_000, 3_000, 4_000].map((t) => budget.take(t));
  assert.deepEqual(granted, [true, true, true, true, false]);
  assert.equal(budget.take(179_999), false);
  assert.equal(budget.take(180_000), true); // the crash at t = 0 has left the window
  budget.reset();
  assert.deepEqual(
    [1, 2, 3, 4].map((t) => budget.take(190_000 + t)),
    [true, true, true, true],
  );
});
