/** What "RL: New Environment" writes learns: the template, as scaffolded, trains to its own threshold. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { trainEnvironment } from "../server/src/api";
import { environmentSource } from "../client/src/scaffold";
import { ROOT } from "./helpers";

test("the template trains to its threshold (seed 0, cpu)", async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rl-template-"));
  try {
    const file = path.join(dir, "corridor.rl.ts");
    fs.writeFileSync(file, environmentSource(fs.readFileSync(path.join(ROOT, "templates", "environment.rl.ts"), "utf8"), "corridor"));
    const result = await trainEnvironment(file, { backend: "cpu", settings: { seed: 0 }, runDir: null });
    assert.ok(result.ok, JSON.stringify(result));
    assert.equal(result.summary.solved, true);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
