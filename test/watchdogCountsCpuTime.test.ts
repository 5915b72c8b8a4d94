/**
 * The watchdog on user code limits the CPU time of the thread running it, not the wall clock
 * (design §3): with busy processes running, a throw stays a throw and running out of memory a
 * crash; an endless loop is still stopped, and placed on the looping line; a call blocked
 * without spending CPU time is stopped by the wall-clock backstop.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { Worker } from "node:worker_threads";
import { checkEnvironment } from "../server/src/api";
import { ownThreadId, threadCpuMs, threadCpuMsOf, threadCpuSource } from "../server/src/rl/threadCpuClock";
import { CallGuard, CallWatch, UserCall, WALL_BACKSTOP_FACTOR, createGuardBuffer, overLimit } from "../server/src/sandbox/callGuard";
import { ROOT, fixture, lineOf } from "./helpers";

const LINUX = fs.existsSync("/proc/thread-self/schedstat");

test("the rule: CPU time over the limit, or the wall clock over the backstop; the wall clock alone only without a CPU clock", () => {
  const limit = 2000;
  // Waiting for a core (a loaded machine) is not running.
  assert.equal(overLimit({ wallMs: 20 * limit, cpuMs: 50 }, limit), null);
  assert.equal(overLimit({ wallMs: limit / 2, cpuMs: limit + 1 }, limit), "cpu");
  assert.equal(overLimit({ wallMs: limit * WALL_BACKSTOP_FACTOR + 1, cpuMs: 0 }, limit), "backstop");
  assert.equal(overLimit({ wallMs: limit * WALL_BACKSTOP_FACTOR, cpuMs: 0 }, limit), null);
  assert.equal(overLimit({ wallMs: limit + 1, cpuMs: null }, limit), "wall");
});

test("a call is timed from its entry: CPU and wall time restart with every call, a failed CPU read is no progress", () => {
  const buffer = createGuardBuffer();
  const guard = new CallGuard(buffer);
  const watch = new CallWatch(buffer);
  assert.equal(watch.threadId, LINUX ? ownThreadId() : null, "the guard tells the watcher which thread runs user code");
  guard.enter(UserCall.step);
  assert.deepEqual(watch.poll(1000, 100), { wallMs: 0, cpuMs: 0 });
  assert.deepEqual(watch.poll(6000, 130), { wallMs: 5000, cpuMs: 30 });
  assert.deepEqual(watch.poll(7000, null), { wallMs: 6000, cpuMs: 30 });
  guard.exit();
  guard.enter(UserCall.reward);
  assert.deepEqual(watch.poll(8000, 500), { wallMs: 0, cpuMs: 0 });
  assert.deepEqual(watch.poll(8100, 620), { wallMs: 100, cpuMs: 120 });
  guard.exit();
  // Between calls nothing is timed.
  assert.deepEqual(watch.poll(9000, 700), { wallMs: 0, cpuMs: 0 });
  assert.deepEqual(watch.poll(99_000, 9000), { wallMs: 0, cpuMs: 0 });
  // Without a CPU clock, the wall clock.
  guard.enter(UserCall.step);
  assert.deepEqual(watch.poll(0, null), { wallMs: 0, cpuMs: null });
  assert.deepEqual(watch.poll(2500, null), { wallMs: 2500, cpuMs: null });
});

test(
  "a thread's CPU clock: still while it is blocked, advancing while it works, as read by itself and by another thread",
  { skip: !LINUX },
  async () => {
    assert.equal(threadCpuSource, "thread");
    const own = ownThreadId();
    assert.ok(own !== null);
    const mine = threadCpuMsOf(own);
    assert.ok(mine !== null && Math.abs(threadCpuMs() - mine) < 50, "the same clock, read two ways");

    const clock = path.join(ROOT, "server", "src", "rl", "threadCpuClock.ts");
    const gate = new Int32Array(new SharedArrayBuffer(8));
    const worker = new Worker(
      `require("tsx/cjs");
     const clock = require(${JSON.stringify(clock)});
     const { parentPort, workerData } = require("node:worker_threads");
     const gate = new Int32Array(workerData);
     parentPort.postMessage({ tid: clock.ownThreadId() });
     Atomics.wait(gate, 0, 0);
     const start = clock.threadCpuMs();
     while (clock.threadCpuMs() - start < 300) {}
     parentPort.postMessage({ spent: clock.threadCpuMs() - start });
     Atomics.wait(gate, 1, 0);`,
      { eval: true, workerData: gate.buffer },
    );
    const next = () => new Promise<{ tid?: number; spent?: number }>((resolve) => worker.once("message", resolve));
    try {
      const { tid } = await next();
      assert.ok(tid !== undefined && tid !== own);
      const blocked = threadCpuMsOf(tid) as number;
      // 200 ms of this thread's CPU time while the worker waits on the gate.
      const start = threadCpuMs();
      while (threadCpuMs() - start < 200);
      const stillBlocked = threadCpuMsOf(tid) as number;
      assert.ok(stillBlocked - blocked < 20, `a blocked thread spent ${stillBlocked - blocked} ms`);

      const done = next();
      Atomics.store(gate, 0, 1);
      Atomics.notify(gate, 0);
      const { spent } = await done;
      const worked = threadCpuMsOf(tid) as number;
      assert.ok(spent !== undefined && spent >= 300);
      assert.ok(worked - stillBlocked >= 300, `the worker's 300 ms of work read as ${worked - stillBlocked} ms from here`);
    } finally {
      Atomics.store(gate, 1, 1);
      Atomics.notify(gate, 1);
      await worker.terminate();
    }
  },
);

// Two processes that keep both cores of a 2-core machine busy while the checks below run.
const busy: ChildProcess[] = [];
before(() => {
  for (let k = 0; k < 2; k++) busy.push(spawn("yes", { stdio: ["ignore", "ignore", "ignore"] }));
});
after(() => {
  for (const child of busy) child.kill("SIGKILL");
});

/** The diagnostic codes of a check, and the first diagnostic's line against the MARK line. */
async function check(file: string, callTimeoutMs?: number) {
  const entry = fixture(file);
  const text = fs.readFileSync(entry, "utf8");
  const result = await checkEnvironment(entry, { backend: "wasm", episodes: 64, callTimeoutMs });
  const marked = lineOf(text, /MARK: [\w-]+/.exec(text)?.[0] as string);
  return { codes: result.diagnostics.map((d) => d.code), first: result.diagnostics[0], marked, all: JSON.stringify(result.diagnostics) };
}

test("busy machine: a throw in step() is user-code-threw on the throwing line, never a time-out", async () => {
  const { codes, first, marked, all } = await check("throw-in-step.rl.ts");
  assert.deepEqual(codes, ["user-code-threw"], all);
  assert.equal(first.range.start.line, marked);
});

test("busy machine: running out of memory in reward() is user-code-crashed, never a time-out", async () => {
  const { codes, first, marked, all } = await check("oom-in-reward.rl.ts");
  assert.deepEqual(codes, ["user-code-crashed"], all);
  assert.equal(first.range.start.line, marked);
});

test("busy machine: an endless loop in step() is user-code-timeout after 2000 ms of CPU time, on the looping line", async () => {
  const { codes, first, marked, all } = await check("loop-in-step.rl.ts");
  assert.deepEqual(codes, ["user-code-timeout"], all);
  assert.match(first.message, /^step\(\) did not return within 2000 ms of CPU time/);
  assert.equal(first.range.start.line, marked, `on line ${first.range.start.line + 1}, not the loop's`);
});

test("a step() blocked in Atomics.wait (no CPU time spent) is stopped by the wall-clock backstop, on the waiting line", async () => {
  // A 200 ms limit makes the backstop 30 × 200 ms.
  const { codes, first, marked, all } = await check("wait-in-step.rl.ts", 200);
  assert.deepEqual(codes, ["user-code-timeout"], all);
  assert.match(first.message, /^step\(\) did not return within 6 s, spending only \d+ ms of CPU time: it is blocked/);
  assert.equal(first.range.start.line, marked);
});
