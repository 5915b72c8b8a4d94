/**
 * The dashboard page in headless Chromium, fed the metrics stream of a real CartPole training
 * run (test/fixtures/metrics/cartpole-seed0.jsonl, recorded with
 * `node bin/rl-playground.js train examples/cartpole.rl.ts --json`): what a person would check.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Browser } from "playwright-core";
import CartPole from "../../examples/cartpole.rl";
import GridWorld from "../../examples/gridworld.rl";
import type { PlaybackResult, Scene, UpdateMetrics } from "../../server/src/protocol";
import { parseMetricsJsonl, readSavedRuns } from "../../client/src/savedRuns";
import {
  cartpoleFixture,
  diskRunFolders,
  launchBrowser,
  SWEEP_FIXTURE,
  openDashboard,
  screenshotDir,
  streamRun,
  type DashboardPage,
  type PageGlobals,
} from "./harness";

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const { metrics, info } = cartpoleFixture();
const last = metrics[metrics.length - 1];

async function readouts(d: DashboardPage): Promise<Record<string, string>> {
  return d.page.evaluate(() => {
    const { document } = globalThis as unknown as PageGlobals;
    return Object.fromEntries(Array.from(document.querySelectorAll("[data-readout]")).map((e) => [e.dataset.readout, e.textContent]));
  });
}

async function chartData(d: DashboardPage, id: string): Promise<{ points: number; updates: number }> {
  return d.page.evaluate((chart) => {
    const { document } = globalThis as unknown as PageGlobals;
    const e = document.querySelector(`[data-chart="${chart}"]`);
    if (!e) throw new Error(`no chart ${chart}`);
    return { points: Number(e.dataset.points), updates: Number(e.dataset.updates) };
  }, id);
}

/** What a chart's legend reads beside each line a person sees (uPlot's legend, away from the cursor: the latest values). */
async function legend(d: DashboardPage, id: string, options: { quiet?: boolean; x?: boolean } = {}): Promise<Record<string, string>> {
  return d.page.evaluate(
    ({ chart, quiet, x }) => {
      const { document } = globalThis as unknown as PageGlobals;
      const rows = Array.from(document.querySelectorAll(`[data-chart="${chart}"] .u-legend .u-series${quiet ? "" : ":not(.quiet)"}`));
      return Object.fromEntries(
        rows.slice(x ? 0 : 1).map((row) => {
          const cells = row as unknown as { querySelector(s: string): { textContent: string | null } | null };
          return [cells.querySelector(".u-label")?.textContent ?? "", cells.querySelector(".u-value")?.textContent ?? ""];
        }),
      );
    },
    { chart: id, quiet: options.quiet ?? false, x: options.x ?? false },
  );
}

/** A legend's number read as the number it shows: within the rounding of its three significant digits. */
function assertReads(text: string | undefined, expected: number, what: string): void {
  const shown = Number(text);
  assert.ok(
    Number.isFinite(shown) && Math.abs(shown - expected) <= Math.abs(expected) * 6e-3 + 1e-9,
    `${what}: shows ${text}, expected ${expected}`,
  );
}

/** The debiased exponential moving average of `xs` with weight w per update, written out here (not the page's). */
function ema(xs: number[], w: number): number[] {
  const out: number[] = [];
  let s = 0;
  xs.forEach((x, k) => {
    s = w * s + (1 - w) * x;
    out.push(s / (1 - w ** (k + 1)));
  });
  return out;
}

/** One CartPole episode with a fixed action pattern: its observations and render() frames. */
function recordEpisode(steps: number): { xs: number[]; thetas: number[]; frames: Scene[]; rewards: number[] } {
  const env = new CartPole();
  let [obs] = env.reset(3);
  const xs = [obs[0]];
  const thetas = [obs[2]];
  const frames = [env.render()];
  const rewards: number[] = [];
  for (let t = 0; t < steps; t++) {
    const [next, r, terminated] = env.step(t % 3 === 0 ? 0 : 1);
    obs = next;
    xs.push(obs[0]);
    thetas.push(obs[2]);
    frames.push(env.render());
    rewards.push(r);
    if (terminated) break;
  }
  return { xs, thetas, frames, rewards };
}

test("the fixture is a real CartPole run that solved the task", () => {
  assert.ok(metrics.length >= 10, "enough updates to draw");
  assert.deepEqual(
    metrics.map((m) => m.update),
    metrics.map((_, i) => i + 1),
  );
  assert.ok(last.meanReturn100 >= 475);
});

test("the charts hold one point per update and the read-outs show the last update", async () => {
  const d = await openDashboard(browser);
  await streamRun(d, info, metrics);
  for (const id of ["reward", "length", "entropy", "policy", "snr", "noise", "baseline"]) {
    const c = await chartData(d, id);
    assert.equal(c.points, metrics.length, `${id} points`);
    assert.equal(c.updates, metrics.length, `${id} updates`);
  }
  const reward = await legend(d, "reward");
  assertReads(reward["last 100 episodes"], last.meanReturn100, "last 100 episodes");
  assertReads(reward["solve threshold"], 475, "solve threshold");
  const smoothed = ema(
    metrics.map((m) => m.returnMean),
    0.6,
  ).at(-1) as number;
  assertReads(reward["mean return"], smoothed, "mean return is the smoothed stream");
  assertReads((await legend(d, "noise"))["episodes per update"], 16, "episodes per update");
  // A chart on a percent axis reads its legend in percent too (a fraction beside a % axis misleads).
  const baseline = Object.values(await legend(d, "baseline"));
  assert.ok(baseline.length > 0 && baseline.every((value) => /^-?\d+(\.\d)?%$/.test(value)), `baseline legend: ${baseline.join(", ")}`);
  const r = await readouts(d);
  assert.equal(r.update, String(last.update));
  assert.equal(r.episodes, `${last.episodes} / ${last.episodeBudget}`);
  assertReads(r.meanReturn100, last.meanReturn100, "mean return (last 100)");
  assertReads(r.returnMean, last.returnMean, "last batch");
  assertReads(r.entropy, last.policyEntropy, "entropy");
  // Under a minute: m:ss.
  assert.equal(r.elapsed, `${Math.floor(last.seconds / 60)}:${String(Math.floor(last.seconds % 60)).padStart(2, "0")}`);
  assert.equal(r.backend, info.backend);
  assert.equal(r.status, "solved");
  assert.deepEqual(d.errors, []);
  await d.page.close();
});

test("the smoothing slider changes the drawn curve, and 0 draws the raw returns", async () => {
  const d = await openDashboard(browser);
  await streamRun(d, info, metrics);
  await d.page.locator('[data-control="smoothing"]').fill("0");
  await d.settle();
  assertReads((await legend(d, "reward"))["mean return"], last.returnMean, "mean return, unsmoothed");
  await d.page.close();
});

test("Stop posts the stop message for the running run", async () => {
  const d = await openDashboard(browser);
  await streamRun(d, info, metrics.slice(0, 5), false);
  await d.page.locator('[data-action="stop"]').click();
  const posted = await d.posted();
  assert.deepEqual(posted[0], { type: "ready" });
  assert.ok(posted.some((m) => m.type === "stop" && m.runId === info.runId));
  await d.send({ type: "runEnded", runId: info.runId, reason: "stopped" });
  await d.settle();
  assert.equal(await d.page.locator('[data-action="stop"]').isDisabled(), true);
  await d.page.close();
});

test("a second run of the same file is shown, the first can be overlaid, and either can be picked", async () => {
  const d = await openDashboard(browser);
  await streamRun(d, info, metrics);
  const second = { ...info, runId: "run-2" };
  await streamRun(d, second, metrics.slice(0, 8), false);
  assert.equal(await d.page.locator('[data-control="run"]').inputValue(), "run-2");
  assert.equal((await chartData(d, "reward")).points, 8);
  assert.equal((await readouts(d)).update, "8");
  await d.page.locator('[data-compare="run-1"]').check();
  await d.settle();
  const overlaid = await chartData(d, "reward");
  assert.equal(overlaid.points, metrics.length, "the x axis spans the longer run");
  const smoothedFirst = ema(
    metrics.map((m) => m.returnMean),
    0.6,
  ).at(-1) as number;
  assertReads((await legend(d, "reward"))["CartPole #1"], smoothedFirst, "the overlaid first run");
  await d.page.locator('[data-control="run"]').selectOption("run-1");
  await d.settle();
  assert.equal((await readouts(d)).update, String(last.update));
  await d.page.close();
});

test("Train again posts the edited settings and whether to save them to the file", async () => {
  const d = await openDashboard(browser);
  await streamRun(d, info, metrics);
  await d.page.locator('[data-section="settings"] > summary').click();
  await d.page.locator('input[name="episodesPerUpdate"]').fill("32");
  await d.page.locator('input[name="writeBack"]').check();
  await d.page.locator('[data-action="train"]').click();
  const train = (await d.posted()).filter((m) => m.type === "train").at(-1);
  assert.deepEqual(train, { type: "train", uri: info.uri, settings: { episodesPerUpdate: 32 }, writeBack: true });
  await d.page.close();
});

test("Train again refuses a value the engine's training check would reject, says why beside the field, and writes nothing", async () => {
  const d = await openDashboard(browser);
  await streamRun(d, info, metrics);
  await d.page.locator('[data-section="settings"] > summary').click();
  await d.page.locator('input[name="episodesPerUpdate"]').fill("0.05");
  await d.page.locator('input[name="writeBack"]').check();
  await d.page.locator('[data-action="train"]').click();
  await d.settle();
  assert.deepEqual(
    (await d.posted()).filter((m) => m.type === "train"),
    [],
    "nothing is trained or written",
  );
  const error = d.page.locator('[data-error="episodesPerUpdate"]');
  assert.equal(await error.isVisible(), true);
  assert.match((await error.textContent()) ?? "", /whole number >= 2/);
  assert.equal(await d.page.locator('input[name="episodesPerUpdate"]').getAttribute("aria-invalid"), "true");
  // Beside the field: the message sits directly under its input.
  const [inputBox, errorBox] = await Promise.all([d.page.locator('input[name="episodesPerUpdate"]').boundingBox(), error.boundingBox()]);
  assert.ok(inputBox && errorBox && errorBox.y >= inputBox.y + inputBox.height - 1 && errorBox.y - (inputBox.y + inputBox.height) < 12);
  for (const [name, bad] of [
    ["maxEpisodes", "0"],
    ["gamma", "1.5"],
    ["learningRate", "0"],
    ["seed", "2.5"],
  ] as const) {
    await d.page.locator(`input[name="${name}"]`).fill(bad);
    await d.page.locator('[data-action="train"]').click();
    assert.equal(await d.page.locator(`[data-error="${name}"]`).isVisible(), true, `${name} = ${bad} is flagged`);
    await d.page.locator(`input[name="${name}"]`).fill(String(info.settings?.[name]));
  }
  await d.page.locator('input[name="episodesPerUpdate"]').fill("32");
  assert.equal(await error.isVisible(), false, "the error goes when the value is fixed");
  await d.page.locator('[data-action="train"]').click();
  const train = (await d.posted()).filter((m) => m.type === "train");
  assert.deepEqual(train, [{ type: "train", uri: info.uri, settings: { episodesPerUpdate: 32 }, writeBack: true }]);
  await d.page.close();
});

test("saved runs are asked for, listed, and a click reopens one", async () => {
  const d = await openDashboard(browser);
  await d.page.locator('[data-section="saved"] > summary').click();
  await d.settle();
  assert.ok((await d.posted()).some((m) => m.type === "listRuns"));
  const runDir = "/w/.rl-playground/runs/cartpole-1";
  await d.send({
    type: "savedRuns",
    runs: [
      { runDir, environment: "CartPole", episodes: 400, updates: 25, meanReturn100: 482.05, solved: true, reason: "solved", savedAt: 0 },
    ],
  });
  await d.page.locator(`[data-run-dir="${runDir}"]`).click();
  assert.ok((await d.posted()).some((m) => m.type === "openRun" && m.runDir === runDir));
  const saved = { ...info, runId: `saved:${runDir}`, uri: null, source: "saved" as const, runDir };
  await d.send({ type: "runLoaded", run: saved, metrics, reason: "solved" });
  await d.settle();
  assert.equal(await d.page.locator('[data-control="run"]').inputValue(), saved.runId);
  assert.equal((await chartData(d, "reward")).points, metrics.length);
  assert.equal(await d.page.locator('[data-action="stop"]').isDisabled(), true);
  await d.page.close();
});

test("a sweep folder opens from the saved list as its grid points, each the mean of its seeds with a band", async () => {
  const d = await openDashboard(browser);
  await d.page.locator('[data-section="saved"] > summary').click();
  await d.settle();
  await d.send({
    type: "savedRuns",
    runs: [
      {
        runDir: SWEEP_FIXTURE,
        environment: "CartPole",
        episodes: 576,
        updates: 6,
        meanReturn100: 30,
        solved: false,
        reason: "budget",
        savedAt: 0,
        sweep: { points: 2, trials: 6, solved: 0 },
      },
    ],
  });
  await d.page.locator(`[data-run-dir="${SWEEP_FIXTURE}"]`).click();
  const asked = (await d.posted()).find((m) => m.type === "openRun");
  assert.equal(asked?.type === "openRun" && asked.runDir, SWEEP_FIXTURE);
  // What the extension answers an openRun of that folder with.
  const loaded = await readSavedRuns(diskRunFolders(), SWEEP_FIXTURE);
  for (const r of loaded) await d.send({ type: "runLoaded", run: r.info, metrics: r.metrics, reason: r.reason });
  await d.settle();
  const labels = await d.page.locator('[data-control="run"] option').allTextContents();
  assert.ok(labels.includes("CartPole learningRate=0.01 (3 seeds)"), labels.join(" | "));
  assert.ok(labels.includes("CartPole learningRate=0.03 (3 seeds)"), labels.join(" | "));
  // The last trial opened is shown (learningRate 0.03); the other grid point is offered once, as a group.
  const head = loaded.find((r) => r.info.groupLabel === "learningRate=0.01")?.info.runId ?? "";
  assert.equal(await d.page.locator("[data-compare]").count(), 1);
  await d.page.locator(`[data-compare="${head}"]`).check();
  await d.page.locator('[data-control="smoothing"]').fill("0");
  await d.settle();
  const shown = await legend(d, "reward");
  const groupLines = Object.keys(shown).filter((k) => k.endsWith("(mean of 3 seeds)"));
  assert.deepEqual(groupLines, ["mean return (mean of 3 seeds)", "CartPole learningRate=0.01 (3 seeds) (mean of 3 seeds)"]);
  // The fixture's rows: each seed's returns offset by 10·seed (mean +20), learningRate 0.01's halved.
  const row = loaded[0].metrics.length - 1;
  const recorded = metrics[row].returnMean;
  assertReads(shown["mean return (mean of 3 seeds)"], recorded + 20, "learningRate=0.03");
  assertReads(shown["CartPole learningRate=0.01 (3 seeds) (mean of 3 seeds)"], 0.5 * recorded + 20, "learningRate=0.01");
  const band = await legend(d, "reward", { quiet: true });
  assertReads(band["mean return +σ"], recorded + 30, "learningRate=0.03 upper edge (σ of 10, 20, 30 is 10)");
  assertReads(band["CartPole learningRate=0.01 (3 seeds) −σ"], 0.5 * recorded + 10, "learningRate=0.01 lower edge");
  assert.deepEqual(d.errors, []);
  await d.page.close();
});

test("the state comes back after a reload", async () => {
  const d = await openDashboard(browser);
  await streamRun(d, info, metrics);
  await d.page.locator('[data-control="smoothing"]').fill("0.3");
  await d.page.evaluate(() => {
    const { window, Event } = globalThis as unknown as PageGlobals;
    window.dispatchEvent(new Event("pagehide"));
  });
  const saved = await d.savedState();
  const shownBefore = await readouts(d);
  await d.page.close();

  const reloaded = await openDashboard(browser, { state: saved });
  assert.deepEqual(await readouts(reloaded), shownBefore);
  assert.equal((await chartData(reloaded, "reward")).points, metrics.length);
  assert.equal(await reloaded.page.locator('[data-control="smoothing"]').inputValue(), "0.3");
  assert.equal(await reloaded.page.locator('[data-control="run"]').inputValue(), info.runId);
  await reloaded.page.close();
});

test("playback frames draw the cart at the positions of the recorded episode", async () => {
  const episode = recordEpisode(40);
  const d = await openDashboard(browser);
  await streamRun(d, info, metrics.slice(0, 3), false);
  await d.page.locator('[data-action="new-episode"]').click();
  const request = (await d.posted()).filter((m) => m.type === "playback").at(-1);
  assert.ok(request && request.type === "playback");
  assert.equal(request.uri, info.uri);
  const result: PlaybackResult = {
    ok: true,
    frames: episode.frames,
    actions: [],
    rewards: episode.rewards,
    episodeReturn: episode.rewards.reduce((a, b) => a + b, 0),
  };
  await d.send({ type: "playback", requestId: request.requestId, result });
  await d.settle();
  for (let k = 0; k < 5; k++) {
    await d.page.locator('[data-action="step"]').click();
    const drawn = await d.page.evaluate(() => {
      const { document } = globalThis as unknown as PageGlobals;
      const stage = document.querySelector(".stage");
      const cart = Array.from(document.querySelectorAll(".scene rect")).find((r) => r.getAttribute("width") === "0.5");
      const pole = document.querySelector('.scene line[stroke-width="0.07"]');
      return {
        frame: Number(stage?.dataset.frame),
        cartX: Number(cart?.getAttribute("x")),
        pole: ["x1", "y1", "x2", "y2"].map((a) => Number(pole?.getAttribute(a))),
      };
    });
    const x = episode.xs[drawn.frame];
    assert.ok(Math.abs(drawn.cartX - (x - 0.25)) < 1e-9, `frame ${drawn.frame}: cart at ${drawn.cartX + 0.25}, expected ${x}`);
    // SVG y points down: the pole leans by θ from upright, so atan2(dx, −dy) = θ.
    const [x1, y1, x2, y2] = drawn.pole;
    assert.ok(Math.abs(Math.atan2(x2 - x1, -(y2 - y1)) - episode.thetas[drawn.frame]) < 1e-9);
  }
  assert.deepEqual(d.errors, []);
  await d.page.close();
});

test("playback counts steps, not frames: a 500-step episode reads step 500 / 500 with its whole return and how it ended", async () => {
  const d = await openDashboard(browser);
  await streamRun(d, info, metrics.slice(0, 3), false);
  await d.page.locator('[data-action="new-episode"]').click();
  const request = (await d.posted()).filter((m) => m.type === "playback").at(-1);
  assert.ok(request && request.type === "playback");
  const frames: Scene[] = Array.from({ length: 501 }, (_, k) => ({
    viewBox: [0, 0, 600, 10],
    shapes: [{ type: "circle", cx: k, cy: 5, r: 1 }],
  }));
  const result: PlaybackResult = {
    ok: true,
    frames,
    actions: frames.slice(1).map(() => 0),
    rewards: frames.slice(1).map(() => 1),
    episodeReturn: 500,
    ending: { kind: "truncated", by: "maxEpisodeSteps", maxEpisodeSteps: 500 },
  };
  await d.send({ type: "playback", requestId: request.requestId, result });
  await d.settle();
  const readout = d.page.locator("[data-playback-info]");
  // It plays on arrival: pause, then go through the frames by hand.
  await d.page.locator('[data-action="play"]').click();
  await d.page.locator('input[aria-label="Frame"]').fill("0");
  assert.equal(await readout.textContent(), "reset · step 0 / 500 · return 0 of 500");
  await d.page.locator('input[aria-label="Frame"]').fill("250");
  assert.equal(await readout.textContent(), "step 250 / 500 · return 250 of 500");
  await d.page.locator('input[aria-label="Frame"]').fill("500");
  assert.equal(await readout.textContent(), "step 500 / 500 · return 500 of 500 · truncated at maxEpisodeSteps (500)");
  await d.send({
    type: "playback",
    requestId: request.requestId,
    result: {
      ...result,
      frames: frames.slice(0, 13),
      rewards: result.rewards.slice(0, 12),
      episodeReturn: 12,
      ending: { kind: "terminated" },
    },
  });
  await d.settle();
  await d.page.locator('input[aria-label="Frame"]').fill("12");
  assert.equal(await readout.textContent(), "step 12 / 12 · return 12 of 12 · terminated");
  assert.deepEqual(d.errors, []);
  await d.page.close();
});

test("an environment without render() gets a one-line hint", async () => {
  const d = await openDashboard(browser);
  await streamRun(d, info, metrics.slice(0, 2), false);
  await d.page.locator('[data-action="new-episode"]').click();
  const request = (await d.posted()).filter((m) => m.type === "playback").at(-1);
  assert.ok(request && request.type === "playback");
  await d.send({ type: "playback", requestId: request.requestId, result: { ok: false, reason: "no-render", message: "no render()" } });
  await d.settle();
  const hintText = await d.page.locator('[data-hint="playback"]').textContent();
  assert.match(hintText ?? "", /render\(\)/);
  assert.equal(await d.page.locator('[data-hint="playback"]').isVisible(), true);
  await d.page.close();
});

test("malformed messages are dropped and logged; the page keeps working", async () => {
  const d = await openDashboard(browser);
  await streamRun(d, info, metrics.slice(0, 10), false);
  const malformed: unknown[] = [
    null,
    "progress",
    42,
    { type: "unknown" },
    { type: "progress", runId: info.runId },
    { type: "progress", runId: info.runId, metrics: [{ ...metrics[10], returnMean: "lots" }] },
    { type: "progress", runId: info.runId, metrics: [{ ...metrics[10], gradient: null }] },
    { type: "runStarted", run: { runId: 7 } },
    { type: "playback", requestId: 1, result: { ok: true, frames: [{ viewBox: [0, 0], shapes: [] }] } },
  ];
  for (const m of malformed) await d.send(m);
  await d.settle();
  assert.deepEqual(d.errors, []);
  assert.equal((await chartData(d, "reward")).points, 10);
  const logs = (await d.posted()).filter((m) => m.type === "log");
  assert.equal(logs.length, malformed.length);
  await d.send({ type: "progress", runId: info.runId, metrics: [metrics[10]] });
  await d.settle();
  assert.equal((await chartData(d, "reward")).points, 11);
  assert.equal((await readouts(d)).update, "11");
  await d.page.close();
});

/** The recorded GridWorld run: named reward terms, their variance shares, and the policy at probe states. */
function gridworldRun(): UpdateMetrics[] {
  const text = fs.readFileSync(path.join(__dirname, "..", "fixtures", "metrics", "gridworld-seed0.jsonl"), "utf8");
  return parseMetricsJsonl(text);
}

test("action probabilities at a probe state and each reward term's variance share are drawn from the metrics", async () => {
  const grid = gridworldRun();
  const gridInfo = {
    ...info,
    runId: "grid-1",
    uri: "file:///work/examples/gridworld.rl.ts",
    environment: "GridWorld",
    rewardThreshold: 1.7,
    actionSpace: { kind: "discrete", n: 4 } as const,
  };
  const d = await openDashboard(browser);
  await streamRun(d, gridInfo, grid);
  const lastGrid = grid[grid.length - 1];
  const probs = lastGrid.policy?.kind === "discrete" ? lastGrid.policy.actionProbs : [];
  assert.equal((await chartData(d, "policy")).points, grid.length);
  Object.values(await legend(d, "policy")).forEach((text, a) => assertReads(text, probs[0][a], `P(action ${a}) at probe 1`));
  await d.page.locator(".probe-select select").selectOption("1");
  await d.settle();
  Object.values(await legend(d, "policy")).forEach((text, a) => assertReads(text, probs[1][a], `P(action ${a}) at probe 2`));
  // Each term's signed share in percent (as recorded: goal 79.2%, progress 14.0%, stepCost 6.8%), and their sum, 100%.
  assert.deepEqual(await legend(d, "terms"), { goal: "79.2%", progress: "14.0%", stepCost: "6.8%", sum: "100.0%" });
  assert.equal(await d.page.locator('[data-hint="terms"]').isVisible(), false);
  // A GridWorld episode along the shortest path: the agent's circle sits in the cell it reached.
  const env = new GridWorld();
  env.reset(0);
  const frames = [env.render()];
  for (const action of [1, 1, 1, 1, 2, 2, 2]) {
    env.step(action);
    frames.push(env.render());
  }
  await d.page.locator('[data-action="new-episode"]').click();
  const request = (await d.posted()).filter((m) => m.type === "playback").at(-1);
  assert.ok(request && request.type === "playback");
  const result: PlaybackResult = { ok: true, frames, actions: [], rewards: frames.slice(1).map(() => 0.09), episodeReturn: 0.63 };
  await d.send({ type: "playback", requestId: request.requestId, result });
  await d.settle();
  await d.page.locator('[data-action="step"]').click();
  await d.page.screenshot({ path: path.join(screenshotDir(), "dashboard-gridworld-dark.png"), fullPage: true });
  assert.deepEqual(d.errors, []);
  await d.page.close();
});

test("a reward term that cancels others' noise reads as a negative share; the shares still add up to 100%, nothing stacked past it", async () => {
  const grid = gridworldRun().slice(0, 19);
  const d = await openDashboard(browser);
  await streamRun(d, { ...info, runId: "grid-2", environment: "GridWorld", actionSpace: { kind: "discrete", n: 4 } }, grid);
  // Update 19 as recorded: goal 0.892, progress 0.313, stepCost −0.205.
  assert.deepEqual(await legend(d, "terms"), { goal: "89.2%", progress: "31.3%", stepCost: "-20.5%", sum: "100.0%" });
  await d.page.close();
});

test("a Gaussian policy draws its mean with a ±σ band at the probe state", async () => {
  const boxInfo = { ...info, runId: "reach-1", environment: "Reach", actionSpace: { kind: "box", dims: 2 } as const };
  const boxMetrics: UpdateMetrics[] = metrics.map((m, i) => ({
    ...m,
    policy: {
      kind: "box",
      probeStates: 2,
      mean: [
        [0.1 * i, -0.1 * i],
        [0.2, 0.3],
      ],
      std: [1 / (1 + i), 0.5],
    },
  }));
  const d = await openDashboard(browser);
  await streamRun(d, boxInfo, boxMetrics);
  const n = boxMetrics.length - 1;
  const drawn = await legend(d, "policy", { quiet: true });
  assertReads(drawn["mean 0"], 0.1 * n, "mean 0");
  assertReads(drawn["+σ 0"], 0.1 * n + 1 / (1 + n), "+σ 0");
  assertReads(drawn["−σ 1"], -0.1 * n - 0.5, "−σ 1");
  assert.deepEqual(d.errors, []);
  await d.page.close();
});

test("screenshots in light, dark and high contrast themes", async () => {
  const dir = screenshotDir();
  const episode = recordEpisode(40);
  for (const theme of ["light", "dark", "high-contrast"] as const) {
    const d = await openDashboard(browser, { theme });
    await streamRun(d, info, metrics);
    await d.page.locator('[data-action="new-episode"]').click();
    const request = (await d.posted()).filter((m) => m.type === "playback").at(-1);
    assert.ok(request && request.type === "playback");
    const episodeReturn = episode.rewards.reduce((a, b) => a + b, 0);
    const result: PlaybackResult = { ok: true, frames: episode.frames, actions: [], rewards: episode.rewards, episodeReturn };
    await d.send({ type: "playback", requestId: request.requestId, result });
    await d.settle();
    await d.page.locator('[data-action="step"]').click();
    const file = path.join(dir, `dashboard-${theme}.png`);
    await d.page.screenshot({ path: file, fullPage: true });
    assert.deepEqual(d.errors, []);
    await d.page.close();
  }
  console.log(`screenshots: ${dir}`);
});

/** Five seeds of one file: the recorded run, each seed's returns offset by 10·seed. */
function seedGroupRuns(groupId: string, firstId: number): Array<{ info: typeof info; metrics: UpdateMetrics[] }> {
  return [0, 1, 2, 3, 4].map((seed) => ({
    info: { ...info, runId: `run-${firstId + seed}`, groupId, settings: info.settings && { ...info.settings, seed } },
    metrics: metrics.map((m) => ({ ...m, returnMean: m.returnMean + 10 * seed, meanReturn100: m.meanReturn100 - 5 * seed })),
  }));
}

test("runs of one seed group draw as one line, their mean, with a band of ± one standard deviation over the seeds", async () => {
  const d = await openDashboard(browser);
  for (const r of seedGroupRuns("g1", 1)) await streamRun(d, r.info, r.metrics);
  await d.page.locator('[data-control="smoothing"]').fill("0");
  await d.settle();
  const shown = await legend(d, "reward");
  assert.deepEqual(Object.keys(shown), ["mean return (mean of 5 seeds)", "last 100 episodes", "solve threshold"], "one line for the group");
  // Offsets 0, 10, 20, 30, 40: mean +20, sample standard deviation √250.
  assertReads(shown["mean return (mean of 5 seeds)"], last.returnMean + 20, "group mean");
  const band = await legend(d, "reward", { quiet: true });
  assertReads(band["mean return +σ"], last.returnMean + 20 + Math.sqrt(250), "upper edge");
  assertReads(band["mean return −σ"], last.returnMean + 20 - Math.sqrt(250), "lower edge");
  assertReads(shown["last 100 episodes"], last.meanReturn100 - 10, "group's last-100 mean");
  // Turned off, the selected seed is drawn alone.
  await d.page.locator('[data-control="group-seeds"]').uncheck();
  await d.settle();
  assertReads((await legend(d, "reward"))["mean return"], last.returnMean + 40, "the last seed alone");
  assert.deepEqual(d.errors, []);
  await d.page.close();
});

test("the x axis counts updates, episodes, environment steps or wall time", async () => {
  const d = await openDashboard(browser);
  await streamRun(d, info, metrics);
  for (const [axis, label, value] of [
    ["episodes", "episodes", String(last.episodes)],
    ["envSteps", "environment steps", String(last.envSteps)],
    ["seconds", "wall time (s)", last.seconds.toFixed(1)],
    ["update", "update", String(last.update)],
  ] as const) {
    await d.page.locator('[data-control="x-axis"]').selectOption(axis);
    await d.settle();
    const x = await legend(d, "reward", { x: true });
    assert.equal(Object.keys(x)[0], label);
    assert.equal(Object.values(x)[0], value, `${axis}: the latest point sits at the run's last ${label}`);
  }
  assert.deepEqual(d.errors, []);
  await d.page.close();
});

test("a smoothed curve reads the same at the same update however many points the chart draws", async () => {
  // A long, noisy run: many updates per drawn point.
  const noisy: UpdateMetrics[] = Array.from({ length: 3000 }, (_, i) => ({
    ...metrics[i % metrics.length],
    update: i + 1,
    episodes: 16 * (i + 1),
    returnMean: 100 + 50 * Math.sin(i / 40) + (i % 7 === 0 ? 60 : 0) - (i % 11 === 0 ? 45 : 0),
  }));
  const expected = ema(
    noisy.map((m) => m.returnMean),
    0.9,
  ).at(-1) as number;
  for (const width of [640, 1400]) {
    const d = await openDashboard(browser, { width });
    await d.send({ type: "runLoaded", run: info, metrics: noisy, reason: "stopped" });
    await d.settle();
    await d.page.locator('[data-control="smoothing"]').fill("0.9");
    await d.settle();
    assertReads((await legend(d, "reward"))["mean return"], expected, `width ${width}`);
    await d.page.close();
  }
});

test("the gradient norm panel draws √gradNormSq of each update", async () => {
  const upTo = metrics.map((m) => m.gradient.gradNormSq > 0).lastIndexOf(true) + 1;
  assert.ok(upTo > 0);
  const d = await openDashboard(browser);
  await streamRun(d, info, metrics.slice(0, upTo));
  await d.page.locator('[data-control="smoothing"]').fill("0");
  await d.settle();
  assertReads((await legend(d, "gradNorm"))["‖∇J‖"], Math.sqrt(metrics[upTo - 1].gradient.gradNormSq), "‖∇J‖");
  await d.page.close();
});

test("screenshots of seed groups compared, in dark and light themes", async () => {
  const dir = screenshotDir();
  for (const theme of ["dark", "light"] as const) {
    const d = await openDashboard(browser, { theme });
    const a = seedGroupRuns("g-a", 1);
    const b = seedGroupRuns("g-b", 11).map((r) => ({ ...r, metrics: r.metrics.map((m) => ({ ...m, returnMean: m.returnMean * 0.7 })) }));
    for (const r of [...a, ...b]) await streamRun(d, r.info, r.metrics);
    await d.page.locator('[data-control="run"]').selectOption("run-11");
    await d.page.locator('[data-compare="run-1"]').check();
    await d.settle();
    await d.page.screenshot({ path: path.join(dir, `dashboard-seeds-${theme}.png`), fullPage: true });
    assert.deepEqual(d.errors, []);
    await d.page.close();
  }
  console.log(`screenshots: ${dir}`);
});
