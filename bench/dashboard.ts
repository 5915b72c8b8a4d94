/**
 * The dashboard while a run streams: the built page in headless Chromium (the
 * webview test harness), one progress message every 50 ms (20 updates a second), with 1k, 5k
 * and 10k updates already drawn. A frame's time is the page's main-thread script time for it:
 * validating and applying the messages since the last frame, then redrawing every chart
 * (uPlot's paint included), read from the page's `rl-dashboard:frame` User Timing measures.
 * Target: p95 < 16 ms at 10k updates.
 *
 * On a loaded machine wall-clock frame times include time the page waited for a core, so the
 * table also gives the CPU time all Chromium processes (page, compositor, raster) used per
 * streamed update, from /proc: an upper bound on the work a frame costs, unaffected by waiting.
 *
 * The stream is the recorded CartPole run repeated to length, with a discrete policy snapshot
 * (5 probe states × 2 actions) on every update so the policy chart draws too.
 *
 * `printDashboardTable()` runs this file as a child process (the measurement is asynchronous)
 * and prints its table.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import type { ToWebviewMessage, UpdateMetrics } from "../server/src/protocol";
import { cartpoleFixture, launchBrowser, openDashboard, type PageGlobals } from "../test/webview/harness";

/**
 * Updates already drawn, and updates per message. The server sends every update (design §6) and
 * the extension forwards them in 50 ms batches, so a fast environment (CartPole early on: a few
 * hundred updates a second) arrives as batches of ~10; the last row is a long run of that kind.
 */
const LEVELS = [
  { updates: 1000, perMessage: 1 },
  { updates: 5000, perMessage: 1 },
  { updates: 10000, perMessage: 1 },
  { updates: 50000, perMessage: 10 },
  // A seed group of 5 runs drawn as one line with a band: every run at 10k, each message one update of one seed in turn.
  { updates: 10000, perMessage: 1, seeds: 5 },
];
const STREAMED_MESSAGES = 100;
const UPDATE_INTERVAL_MS = 50;

export function printDashboardTable(): void {
  process.stderr.write("bench: dashboard ...\n");
  const r = spawnSync(process.execPath, ["--import", "tsx", __filename], { stdio: ["ignore", "inherit", "inherit"], timeout: 600_000 });
  if (r.status !== 0) process.stderr.write(`bench: the dashboard benchmark failed (status ${r.status})\n`);
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

/** CPU seconds (user + system) used so far by the descendants of this process (the browser we launched). */
function browserCpuSeconds(): number {
  const TICKS_PER_SECOND = 100; // USER_HZ on Linux
  const stats = fs
    .readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .flatMap((pid) => {
      try {
        // Fields after the parenthesised command: state ppid ... utime(14) stime(15), numbered from 1.
        const rest = fs
          .readFileSync(`/proc/${pid}/stat`, "utf8")
          .replace(/^.*\) /, "")
          .split(" ");
        return [{ pid: Number(pid), ppid: Number(rest[1]), cpu: (Number(rest[11]) + Number(rest[12])) / TICKS_PER_SECOND }];
      } catch {
        return [];
      }
    });
  const parent = new Map(stats.map((p) => [p.pid, p.ppid]));
  const descends = (pid: number) => {
    for (let p = parent.get(pid); p !== undefined && p > 1; p = parent.get(p)) if (p === process.pid) return true;
    return false;
  };
  return stats.filter((p) => descends(p.pid)).reduce((sum, p) => sum + p.cpu, 0);
}

function syntheticStream(length: number): UpdateMetrics[] {
  const { metrics } = cartpoleFixture();
  return Array.from({ length }, (_, i) => {
    const m = metrics[i % metrics.length];
    const p = 0.5 + 0.4 * Math.sin(i / 500);
    return {
      ...m,
      update: i + 1,
      episodes: (i + 1) * 16,
      seconds: i / 20,
      policy: { kind: "discrete", probeStates: 5, actionProbs: Array.from({ length: 5 }, () => [p, 1 - p]) },
    };
  });
}

async function measure(): Promise<void> {
  const { info } = cartpoleFixture();
  const browser = await launchBrowser();
  const rows: Array<Record<string, string | number>> = [];
  try {
    for (const { updates: level, perMessage, seeds = 1 } of LEVELS) {
      const streamedUpdates = STREAMED_MESSAGES * perMessage;
      const stream = syntheticStream(level + streamedUpdates);
      const d = await openDashboard(browser, { theme: "dark", height: 900 });
      const runIds = Array.from({ length: seeds }, (_, s) => (seeds === 1 ? info.runId : `${info.runId}-seed${s}`));
      for (const runId of runIds) {
        const preload: ToWebviewMessage = {
          type: "runLoaded",
          run: { ...info, runId, ...(seeds > 1 ? { groupId: "bench-group" } : {}) },
          metrics: stream.slice(0, level),
          reason: null,
        };
        await d.send(preload);
      }
      await d.settle();
      // Seeds advance in turn: message k carries the next updates of seed k mod seeds.
      const next = runIds.map(() => level);
      const streamed = Array.from({ length: STREAMED_MESSAGES }, (_, k): ToWebviewMessage => {
        const s = k % seeds;
        const from = next[s];
        next[s] += perMessage;
        return { type: "progress", runId: runIds[s], metrics: stream.slice(from, from + perMessage) };
      });
      const cpuBefore = browserCpuSeconds();
      const frames = await d.page.evaluate(
        async ({ messages, interval }) => {
          const { window, performance, requestAnimationFrame } = globalThis as unknown as PageGlobals;
          performance.clearMeasures("rl-dashboard:frame");
          for (const m of messages) {
            window.postMessage(m, "*");
            await new Promise((resolve) => setTimeout(resolve, interval));
          }
          await new Promise((resolve) => requestAnimationFrame(() => setTimeout(resolve, 0)));
          return performance.getEntriesByName("rl-dashboard:frame").map((e) => e.duration + (e.detail as { messageMs: number }).messageMs);
        },
        { messages: streamed, interval: UPDATE_INTERVAL_MS },
      );
      const cpuMsPerUpdate = ((browserCpuSeconds() - cpuBefore) * 1000) / streamedUpdates;
      const points = await d.page.evaluate(() =>
        Number((globalThis as unknown as PageGlobals).document.querySelector('[data-chart="reward"]')?.dataset.points),
      );
      rows.push({
        updates: level,
        runs: seeds > 1 ? `${seeds} (one seed group)` : 1,
        "updates/s": (perMessage * 1000) / UPDATE_INTERVAL_MS,
        frames: frames.length,
        "points per line": points,
        "p50 ms": percentile(frames, 50).toFixed(2),
        "p95 ms": percentile(frames, 95).toFixed(2),
        "max ms": Math.max(...frames).toFixed(2),
        "Chromium CPU ms/update": cpuMsPerUpdate.toFixed(1),
      });
      if (d.errors.length > 0) throw new Error(`page errors: ${d.errors.join("; ")}`);
      await d.page.close();
    }
  } finally {
    await browser.close();
  }
  const columns = Object.keys(rows[0]);
  const line = (cells: Array<string | number>) => `| ${cells.join(" | ")} |`;
  console.log(
    `Dashboard frame time while appending (headless Chromium, ${STREAMED_MESSAGES} messages 50 ms apart per row; target p95 < 16 ms at 10k)\n`,
  );
  console.log(`load average during the run: ${fs.readFileSync("/proc/loadavg", "utf8").split(" ").slice(0, 3).join(" ")}\n`);
  console.log(line(columns));
  console.log(line(columns.map(() => "---")));
  for (const r of rows) console.log(line(columns.map((c) => r[c])));
  console.log("");
}

if (require.main === module) {
  measure().catch((err: unknown) => {
    console.error(err);
    process.exit(1);
  });
}
