/**
 * No process user code starts outlives the job that ran it, continued from
 * processEscape.test.ts: a check that returns normally, a cleared environment, a runner killed
 * outright, a process forking in a loop, a training, a caller killed outright.
 */
import { spawn } from "node:child_process";
import * as path from "node:path";
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkEnvironment, trainEnvironment } from "../server/src/api";
import { GONE_WITHIN_MS, LINUX, assertAllGone, withPidFile } from "./escapeHelpers";
import { ROOT, eventually, fixture, processesMatching } from "./helpers";
import { PRLIMIT } from "../server/src/sandbox/hostProcess";

const check = (file: string) => checkEnvironment(fixture(file), { backend: "wasm", episodes: 4 });

test("a detached sleep from a check that succeeds does not outlive it", { skip: !LINUX }, async () => {
  await withPidFile(async (pids) => {
    const r = await check("escape-detached-returns.rl.ts");
    assert.equal(r.ok, true, JSON.stringify(r.diagnostics));
    await assertAllGone(pids());
  });
});

test(
  "an orphan with a cleared environment does not outlive the check (found by its limit)",
  { skip: !LINUX || PRLIMIT === null },
  async () => {
    await withPidFile(async (pids) => {
      const r = await check("escape-cleared-env.rl.ts");
      assert.equal(r.ok, true, JSON.stringify(r.diagnostics));
      await assertAllGone(pids());
    });
  },
);

test("a detached sleep does not outlive a runner that user code killed outright", { skip: !LINUX }, async () => {
  await withPidFile(async (pids) => {
    const r = await check("escape-kills-runner.rl.ts");
    assert.equal(r.diagnostics[0]?.code, "user-code-crashed", JSON.stringify(r.diagnostics));
    // The job ran twice: once, and once more replayed to learn which call killed the runner.
    await assertAllGone(pids());
  });
});

test("an orphan in a new session does not outlive a training", { skip: !LINUX }, async () => {
  await withPidFile(async (pids) => {
    const r = await trainEnvironment(fixture("escape-setsid-orphan.rl.ts"), {
      backend: "wasm",
      runDir: null,
      settings: { maxEpisodes: 16, seed: 0 },
    });
    assert.equal(r.ok, true, r.message ?? "");
    await assertAllGone(pids());
  });
});

test("a shell forking in a loop in a session of its own is killed with every child it started", { skip: !LINUX }, async () => {
  await withPidFile(async (pids) => {
    const r = await check("escape-fork-loop.rl.ts");
    assert.equal(r.ok, true, JSON.stringify(r.diagnostics));
    await assertAllGone(pids());
    // Children the loop started just before it was stopped are found by the next scan (see killMarked).
    const orphans = await eventually(() => processesMatching("sleep 5.0017").length === 0, GONE_WITHIN_MS);
    assert.ok(orphans, `left running: ${processesMatching("sleep 5.0017").join(", ")}`);
  });
});

test("an orphan does not outlive a caller killed outright in the middle of a check", { skip: !LINUX }, async () => {
  await withPidFile(async (pids) => {
    // A caller (as the language server would be) checking a file whose step() blocks for a minute.
    const caller = spawn(
      process.execPath,
      ["--import", "tsx", path.join(ROOT, "test", "escapeCaller.ts"), fixture("escape-orphan-then-block.rl.ts")],
      {
        stdio: "ignore",
      },
    );
    try {
      assert.ok(await eventually(() => pids().length > 0, 60_000), "the fixture never started its sleep");
      caller.kill("SIGKILL");
      // The runner sees its parent go (its IPC channel closes) and sweeps for its mark before it exits.
      await assertAllGone(pids());
    } finally {
      caller.kill("SIGKILL");
    }
  });
});
