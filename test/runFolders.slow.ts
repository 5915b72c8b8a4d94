/** Run folders of runs that end at once: each keeps its own (the data-loss case of the same-second name). */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT, example } from "./helpers";

test("runs of the same file started in the same second each keep their folder", async () => {
  const cwd = fs.mkdtempSync(path.join(os.tmpdir(), "rlp-same-second-"));
  const runs = await Promise.all(
    [1, 2, 3].map(
      (seed) =>
        new Promise<string>((resolve, reject) => {
          const child = spawn(
            process.execPath,
            [
              path.join(ROOT, "bin", "rl-playground.js"),
              "train",
              example("bandit.rl.ts"),
              "--backend",
              "cpu",
              "--episodes",
              "64",
              "--seed",
              String(seed),
              "--json",
            ],
            { cwd, stdio: ["ignore", "pipe", "inherit"] },
          );
          let out = "";
          child.stdout.on("data", (c: Buffer) => (out += c.toString()));
          child.on("error", reject);
          child.on("close", (code) =>
            code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop()!).runDir) : reject(new Error(`exit ${code}`)),
          );
        }),
    ),
  );
  assert.equal(new Set(runs).size, 3, runs.join(", "));
  const seeds = runs.map((dir) => JSON.parse(fs.readFileSync(path.join(dir, "summary.json"), "utf8")).seed).sort();
  assert.deepEqual(seeds, [1, 2, 3], "each folder holds its own run");
});
