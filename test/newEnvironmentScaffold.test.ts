/**
 * "RL: New Environment" writes a file a newcomer can train at once, with no red squiggles:
 * the template checks clean and trains to its threshold, and the tsconfig and typings it
 * writes make TypeScript accept `import … from "rl-playground"`. Also: how an existing
 * tsconfig is merged, and the crash-restart budget of the client.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import ts from "typescript";
import { checkEnvironment } from "../server/src/api";
import { TYPINGS_FILE, classNameFor, environmentSource, invalidBaseName, mergeTsconfig, newTsconfig } from "../client/src/scaffold";
import { RestartBudget } from "../client/src/restartBudget";
import { ROOT } from "./helpers";

const TEMPLATE = fs.readFileSync(path.join(ROOT, "templates", "environment.rl.ts"), "utf8");

/** A workspace as the command leaves it: the environment, the typings, a tsconfig. */
function scaffoldWorkspace(baseName: string): { dir: string; file: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rl-scaffold-"));
  const file = path.join(dir, `${baseName}.rl.ts`);
  fs.writeFileSync(file, environmentSource(TEMPLATE, baseName));
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

test("the scaffolded workspace type-checks with the generated tsconfig (no red squiggles)", () => {
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

test("the template checks without errors (test:slow trains it to its threshold)", async () => {
  const { dir, file } = scaffoldWorkspace("corridor");
  try {
    const check = await checkEnvironment(file, { backend: "cpu", episodes: 32, settings: { seed: 0 } });
    assert.deepEqual(
      check.diagnostics.filter((d) => d.severity === "error" || d.severity === "warning").map((d) => d.code),
      [],
    );
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
