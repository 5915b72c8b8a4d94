/** Where the dashboard tests write: a fresh folder per run, never a fixed path that runs share. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT } from "./harness";

/** The screenshot folder a separate run of the tests (a process of its own) is given. */
function screenshotFolderOfARun(): string {
  const script = `process.stdout.write(require(${JSON.stringify(path.join(__dirname, "harness.ts"))}).screenshotDir())`;
  return execFileSync(process.execPath, ["--import", "tsx", "-e", script], { cwd: ROOT, encoding: "utf8" });
}

test("two runs of the dashboard tests get two fresh screenshot folders under the temp folder", () => {
  const first = screenshotFolderOfARun();
  const second = screenshotFolderOfARun();
  assert.notEqual(first, second);
  for (const dir of [first, second]) {
    const run = path.dirname(dir);
    assert.ok(
      path.resolve(run).startsWith(path.resolve(os.tmpdir()) + path.sep),
      `${dir} is not in a folder of its own under the temp folder`,
    );
    assert.deepEqual(fs.readdirSync(dir), [], `${dir} holds another run's files`);
    assert.deepEqual(fs.readdirSync(run), [path.basename(dir)], `${run} holds another run's files`);
    fs.rmSync(run, { recursive: true, force: true });
  }
});
