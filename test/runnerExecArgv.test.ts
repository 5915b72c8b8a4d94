/**
 * A runner inherits its caller's Node options (a loader such as tsx) but never the code the
 * caller was told to run: `node -e "checkEnvironment(…)"` used to make every runner run the
 * same script again, each starting runners of its own.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { runnerExecArgv } from "../server/src/sandbox/hostProcess";
import { ROOT } from "./helpers";

test("options that name code to run are dropped, loaders and the rest kept", () => {
  assert.deepEqual(runnerExecArgv(["--import", "tsx", "-e", "code()", "--max-old-space-size=512"]), [
    "--import",
    "tsx",
    "--max-old-space-size=512",
  ]);
  assert.deepEqual(runnerExecArgv(["--eval=code()", "-p", "1", "--print", "2", "--test", "--test-concurrency=2", "--watch"]), []);
});

test("a check started from `node -e` runs its probe once and ends", () => {
  const script =
    'require("./server/src/api").checkEnvironment("examples/bandit.rl.ts", { backend: "cpu" })' +
    '.then((r) => { console.log("episodes", r.stats.episodes); process.exit(0); });';
  const r = spawnSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: ROOT, encoding: "utf8", timeout: 120_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split("\n"), ["episodes 256"]);
});
