/**
 * After a run, a named term that never changed (the same mean per episode at every update) is
 * reported on its property; a term that changed is not.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { trainEnvironment } from "../server/src/api";
import { fixture, lineOf } from "./helpers";

test("a term that never changed over the run: reward-term-inert on its property, and nothing on the term that did", async () => {
  const file = fixture("term-constant.rl.ts");
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "rlp-terms-"));
  const r = await trainEnvironment(file, { backend: "cpu", runDir: path.join(out, "run") });
  assert.equal(r.ok, true, r.message ?? "");
  assert.deepEqual(
    r.summary?.termFindings?.map((f) => [f.name, f.kind]),
    [["alive", "constant"]],
  );
  assert.deepEqual(
    r.diagnostics.map((d) => [d.code, d.range.start.line]),
    [["reward-term-inert", lineOf(fs.readFileSync(file, "utf8"), "MARK: alive")]],
  );
  assert.match(r.diagnostics[0].message, /never changed/);
  fs.rmSync(out, { recursive: true, force: true });
});
