/**
 * A file that replaces a built-in the engine uses, or exports `training` with a getter that
 * throws: the check ends in one `user-code-threw` on the throwing line of the file (not an
 * engine error), and the CLI still prints its one JSON object.
 */
import { after, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import { RunnerPool, checkEnvironment } from "../server/src/api";
import { cli, fixture, lineOf } from "./helpers";

/** One warm runner for the file's checks (a runner that timed out is replaced behind it). */
const pool = new RunnerPool("wasm");
after(() => pool.dispose());

for (const file of ["polluted-map.rl.ts", "polluted-map-set.rl.ts", "training-getter.rl.ts"]) {
  test(`${file}: user-code-threw on the throwing line`, { timeout: 60_000 }, async () => {
    const entry = fixture(file);
    const text = fs.readFileSync(entry, "utf8");
    const result = await checkEnvironment(entry, { pool, episodes: 16 });
    assert.deepEqual(
      result.diagnostics.map((d) => d.code),
      ["user-code-threw"],
      JSON.stringify(result.diagnostics),
    );
    assert.equal(result.diagnostics[0].range.start.line, lineOf(text, "MARK: user-code-threw"), result.diagnostics[0].message);
  });
}

test("check --json on a file that breaks the engine's built-ins prints one JSON object", () => {
  const r = cli(["check", fixture("polluted-map.rl.ts"), "--json", "--backend", "wasm"], 60_000);
  assert.equal(r.status, 1, r.stderr);
  const lines = r.stdout.trim().split("\n");
  assert.equal(lines.length, 1, r.stdout);
  const out = JSON.parse(lines[0]) as { diagnostics: Array<{ code: string; message: string }> };
  assert.equal(out.diagnostics[0]?.code, "user-code-threw");
  assert.match(out.diagnostics[0].message, /Array\.prototype\.map was changed by the file/);
});
