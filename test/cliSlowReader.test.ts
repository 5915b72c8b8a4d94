/**
 * The CLI's output reaches a reader that falls behind, whole: on a pipe Node writes
 * asynchronously, so lines the reader has not taken yet are still queued in the CLI when
 * its work is done, and ending the process then would drop them (the summary, last).
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { ROOT, fixture } from "./helpers";

/** reward-constant.rl.ts has no threshold, so it trains the whole budget: 16 episodes per update. */
const UPDATES = 3000;
const EPISODES = UPDATES * 16;
/** Far more than a pipe holds (64 KB): each progress line is ~600 bytes. */
const MIN_OUTPUT_BYTES = 1_000_000;

test(
  "train --json into a reader that reads only after the training has ended gets every line, the summary last",
  { timeout: 300_000 },
  async () => {
    const out = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rlp-slow-reader-")), "run");
    const child = spawn(
      process.execPath,
      [
        path.join(ROOT, "bin", "rl-playground.js"),
        "train",
        fixture("reward-constant.rl.ts"),
        "--json",
        "--backend",
        "cpu",
        "--episodes",
        `${EPISODES}`,
        "--out",
        out,
      ],
      { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
    );
    try {
      let stderr = "";
      child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
      const exited = once(child, "exit");
      // Stdout stays unread (the pipe fills and the CLI's writes queue) until the run folder is
      // complete, i.e. the training is over and only the CLI's report is left to do. A "readable"
      // listener that does not read keeps the stream paused (an unwatched child stdout would be
      // drained and dropped when the child exits).
      let reading = false;
      let stdout = "";
      const take = () => {
        for (let chunk: string | null; reading && (chunk = child.stdout.read()) !== null;) stdout += chunk;
      };
      child.stdout.setEncoding("utf8").on("readable", take);
      const ended = once(child.stdout, "end");
      const summaryFile = path.join(out, "summary.json");
      while (!fs.existsSync(summaryFile) && child.exitCode === null) await delay(50);
      reading = true;
      take();
      const [[code]] = await Promise.all([exited, ended]);
      assert.equal(code, 0, stderr);

      const lines = stdout.trimEnd().split("\n");
      const last = lines[lines.length - 1];
      assert.match(last, /^\{"type":"summary",.*\}$/, `the last of ${lines.length} lines is not the summary: ${last.slice(0, 120)}…`);
      const summary = JSON.parse(last);
      assert.equal(summary.episodes, EPISODES);
      assert.equal(summary.runDir, out);
      assert.deepEqual(
        lines.slice(0, -1).map((l) => {
          const o = JSON.parse(l);
          return `${o.type} ${o.update}`;
        }),
        Array.from({ length: UPDATES }, (_, i) => `progress ${i + 1}`),
      );
      assert.ok(stdout.length > MIN_OUTPUT_BYTES, `the output fits in a pipe (${stdout.length} bytes): no write was ever queued`);
    } finally {
      if (child.exitCode === null && child.signalCode === null) child.kill();
      fs.rmSync(path.dirname(out), { recursive: true, force: true });
    }
  },
);
