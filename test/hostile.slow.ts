/**
 * A user file that throws, loops forever, returns NaN or does not compile gives a clear
 * error placed on the user's line, and never hangs the CLI.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { checkEnvironment } from "../server/src/api";
import { ROOT, cli, example, fixture, lineOf } from "./helpers";

const cases: Array<{ file: string; code: string; marker: string; says: RegExp }> = [
  {
    file: "throw-in-step.rl.ts",
    code: "user-code-threw",
    marker: "MARK: throws",
    says: /step\(\) threw Error: the cart fell off the table/,
  },
  { file: "loop-in-reward.rl.ts", code: "user-code-timeout", marker: "MARK: reward", says: /reward\(\) did not return within \d+ ms/ },
  { file: "nan-reward.rl.ts", code: "not-finite", marker: "MARK: step", says: /reward of NaN/ },
  { file: "syntax-error.rl.ts", code: "transpile-error", marker: "MARK: syntax", says: /does not compile: Expected "\]" but found ";"/ },
];

for (const c of cases) {
  for (const command of ["train", "check"]) {
    test(`${command} ${c.file}: ${c.code} on the user's line, exit 1, no hang`, () => {
      const file = fixture(c.file);
      const line = lineOf(fs.readFileSync(file, "utf8"), c.marker);
      const r = cli(
        [
          command,
          file,
          "--backend",
          "cpu",
          "--json",
          ...(command === "train" ? ["--out", path.join(ROOT, ".rl-playground", "test-runs", c.file)] : []),
        ],
        60_000,
      );
      assert.equal(r.status, 1, r.stderr);
      const objects = r.stdout
        .trim()
        .split("\n")
        .filter(Boolean)
        .map((l) => JSON.parse(l));
      const diagnostics = command === "check" ? objects[0].diagnostics : objects.filter((o) => o.type === "diagnostic");
      assert.equal(diagnostics.length, 1, r.stdout);
      const d = diagnostics[0];
      assert.equal(d.code, c.code);
      assert.equal(d.severity, "error");
      assert.match(d.message, c.says);
      assert.equal(d.range.start.line, line, `placed on line ${d.range.start.line + 1}, expected ${line + 1}`);
      // The human form names the file and the 1-based line.
      if (command === "check") {
        const human = cli([command, file, "--backend", "cpu"], 60_000);
        assert.equal(human.status, 1);
        assert.match(human.stdout, new RegExp(`${c.file.replace(/\./g, "\\.")}:${line + 1}:\\d+: error ${c.code}: `));
      }
    });
  }
}

test("the caller survives every hostile file in a row and still works", async () => {
  for (const file of ["loop-in-reward.rl.ts", "exit-in-reward.rl.ts", "oom-in-reward.rl.ts", "kill-in-step.rl.ts", "throw-in-step.rl.ts"])
    assert.equal((await checkEnvironment(fixture(file), { backend: "cpu" })).diagnostics[0]?.severity, "error");
  const ok = await checkEnvironment(example("bandit.rl.ts"), { backend: "cpu", episodes: 32 });
  assert.deepEqual(ok.diagnostics, []);
});
