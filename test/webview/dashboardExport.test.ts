/**
 * The dashboard's exports and the panels and buttons added beside them, in headless Chromium:
 * a chart as PNG (a valid image) and SVG (parses, one path per line drawn), the run's metrics
 * as CSV (a header and one row per update), "Train 5 seeds", and the explained-variance panel,
 * drawn only for runs whose metrics carry it.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import type { Browser } from "playwright-core";
import type { FromWebviewMessage, UpdateMetrics } from "../../server/src/protocol";
import { cartpoleFixture, launchBrowser, openDashboard, screenshotDir, streamRun, type DashboardPage, type PageGlobals } from "./harness";

let browser: Browser;
before(async () => {
  browser = await launchBrowser();
});
after(async () => {
  await browser?.close();
});

const { metrics, info } = cartpoleFixture();

type Export = Extract<FromWebviewMessage, { type: "export" }>;

async function exported(d: DashboardPage): Promise<Export[]> {
  return (await d.posted()).filter((m): m is Export => m.type === "export");
}

/** Width and height from a PNG's signature and IHDR chunk (throws when the bytes are not a PNG). */
function pngSize(bytes: Buffer): { width: number; height: number } {
  assert.deepEqual([...bytes.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], "PNG signature");
  assert.equal(bytes.subarray(12, 16).toString("latin1"), "IHDR");
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

test("a chart's PNG button hands the extension a valid PNG of the chart with its title and legend", async () => {
  const d = await openDashboard(browser);
  await streamRun(d, info, metrics);
  await d.page.locator('[data-chart="reward"] [data-export="png"]').click();
  const [png] = await exported(d);
  assert.equal(png.format, "png");
  assert.match(png.name, /^cartpole-reward\.png$/);
  const bytes = Buffer.from(png.data, "base64");
  const size = pngSize(bytes);
  const canvas = await d.page.evaluate(() => {
    const { document } = globalThis as unknown as PageGlobals;
    const c = document.querySelector('[data-chart="reward"] canvas') as unknown as { width: number; height: number };
    return { width: c.width, height: c.height };
  });
  assert.ok(
    size.width > canvas.width && size.height > canvas.height,
    `${JSON.stringify(size)} holds the canvas ${JSON.stringify(canvas)} and more`,
  );
  fs.writeFileSync(path.join(screenshotDir(), "export-reward.png"), bytes);
  assert.deepEqual(d.errors, []);
  await d.page.close();
});

test("a chart's SVG parses and has one path per line the chart draws, with the legend's labels", async () => {
  const d = await openDashboard(browser, { theme: "light" });
  await streamRun(d, info, metrics);
  for (const chart of ["reward", "snr", "terms"]) {
    const hidden = await d.page.locator(`[data-chart="${chart}"]`).isHidden();
    if (hidden) continue;
    await d.page.locator(`[data-chart="${chart}"] [data-export="svg"]`).click();
    const svg = (await exported(d)).at(-1) as Export;
    assert.equal(svg.format, "svg");
    const parsed = await d.page.evaluate(
      ({ text, id }) => {
        const g = globalThis as unknown as {
          DOMParser: new () => {
            parseFromString(
              t: string,
              type: string,
            ): {
              querySelector(s: string): unknown;
              querySelectorAll(s: string): ArrayLike<{ getAttribute(n: string): string | null; textContent: string | null }>;
            };
          };
          document: PageGlobals["document"];
        };
        const doc = new g.DOMParser().parseFromString(text, "image/svg+xml");
        const rows = Array.from(g.document.querySelectorAll(`[data-chart="${id}"] .u-legend .u-series`)).slice(1);
        return {
          error: doc.querySelector("parsererror") !== null,
          paths: Array.from(doc.querySelectorAll("path[data-series]")).map((p) => p.getAttribute("data-series")),
          drawn: Array.from(doc.querySelectorAll("path[data-series]")).filter((p) => (p.getAttribute("d") ?? "").length > 0).length,
          legend: Array.from(doc.querySelectorAll("text.legend")).map((t) => t.textContent),
          lines: rows.map(
            (r) =>
              (r as unknown as { querySelector(s: string): { textContent: string | null } | null }).querySelector(".u-label")
                ?.textContent ?? "",
          ),
        };
      },
      { text: svg.data, id: chart },
    );
    assert.equal(parsed.error, false, `${chart}: the SVG parses`);
    assert.deepEqual(parsed.paths, parsed.lines, `${chart}: one path per line of the chart, in its order`);
    assert.equal(parsed.drawn, parsed.paths.length, `${chart}: every path has points`);
    assert.ok(
      parsed.legend.length > 0 && parsed.legend.every((t) => parsed.lines.some((l) => t?.startsWith(`${l}: `))),
      `${chart}: legend ${parsed.legend.join(" | ")}`,
    );
    fs.writeFileSync(path.join(screenshotDir(), `export-${chart}.svg`), svg.data);
  }
  assert.deepEqual(d.errors, []);
  await d.page.close();
});

test("Export CSV saves a header and one row per update, the values of the metrics", async () => {
  const d = await openDashboard(browser);
  await streamRun(d, info, metrics);
  await d.page.locator('[data-action="export-csv"]').click();
  const [csv] = await exported(d);
  assert.equal(csv.format, "csv");
  assert.match(csv.name, /\.csv$/);
  const [header, ...rows] = csv.data.trimEnd().split("\n");
  const names = header.split(",");
  assert.deepEqual(names.slice(0, 4), ["update", "episodes", "envSteps", "seconds"]);
  assert.equal(rows.length, metrics.length);
  const column = (name: string) => rows.map((r) => r.split(",")[names.indexOf(name)]);
  assert.deepEqual(
    column("update").map(Number),
    metrics.map((m) => m.update),
  );
  assert.deepEqual(
    column("returnMean").map(Number),
    metrics.map((m) => m.returnMean),
  );
  assert.deepEqual(
    column("meanReturn100").map(Number),
    metrics.map((m) => m.meanReturn100),
  );
  assert.ok(!names.includes("explainedVariance"), "no value baseline, no column of blanks");
  await d.page.close();
});

test("Train 5 seeds posts the file and five seeds; it is disabled for a saved run that names no file", async () => {
  const d = await openDashboard(browser);
  await streamRun(d, info, metrics.slice(0, 3));
  await d.page.locator('[data-action="train-seeds"]').click();
  const posted = (await d.posted()).filter((m) => m.type === "trainSeeds");
  assert.deepEqual(posted, [{ type: "trainSeeds", uri: info.uri, seeds: 5 }]);
  await d.send({
    type: "runLoaded",
    run: { ...info, runId: "saved-1", uri: null, source: "saved", runDir: "/x/runs/a" },
    metrics,
    reason: "solved",
  });
  await d.settle();
  assert.equal(await d.page.locator('[data-action="train-seeds"]').isDisabled(), true);
  await d.page.close();
});

/** The fixture as if trained with a value baseline: an explained variance rising towards 0.9. */
function withExplainedVariance(rows: UpdateMetrics[]): UpdateMetrics[] {
  return rows.map((m, i) => ({ ...m, explainedVariance: 0.9 * (1 - Math.exp(-i / 10)) }));
}

test("the explained-variance panel shows for a value baseline's metrics only, reading the latest value", async () => {
  const d = await openDashboard(browser);
  await streamRun(d, info, metrics);
  assert.equal(await d.page.locator('[data-chart="explained"]').isHidden(), true, "hidden without the metric");
  const valueRows = withExplainedVariance(metrics);
  await streamRun(d, { ...info, runId: "run-value" }, valueRows);
  await d.page.locator('[data-control="smoothing"]').fill("0");
  await d.settle();
  assert.equal(await d.page.locator('[data-chart="explained"]').isVisible(), true);
  const read = await d.page.locator('[data-chart="explained"] .u-legend .u-series:not(.quiet) .u-value').nth(1).textContent();
  const expected = valueRows.at(-1)?.explainedVariance as number;
  assert.ok(Math.abs(Number(read) - expected) <= 6e-3 * expected, `reads ${read}, expected ${expected}`);
  await d.page.locator('[data-action="export-csv"]').click();
  const csv = (await exported(d)).at(-1) as Export;
  const [header, ...rows] = csv.data.trimEnd().split("\n");
  const k = header.split(",").indexOf("explainedVariance");
  assert.ok(k >= 0);
  assert.deepEqual(
    rows.map((r) => Number(r.split(",")[k])),
    valueRows.map((m) => m.explainedVariance),
  );
  await d.page.locator('[data-section="gradient"]').screenshot({ path: path.join(screenshotDir(), "explained-variance.png") });
  assert.deepEqual(d.errors, []);
  await d.page.close();
});

test("a dashboard opened afresh shows the newest run the extension replays; a restored page keeps its choice", async () => {
  const runs = ["run-a", "run-b", "run-c"].map((runId) => ({ ...info, runId }));
  const d = await openDashboard(browser);
  for (const run of runs) await d.send({ type: "runLoaded", run, metrics: metrics.slice(0, 4), reason: "solved" });
  await d.settle();
  assert.equal(await d.page.locator('[data-control="run"]').inputValue(), "run-c");
  // The person picks the oldest; the page is hidden and shown (state restored), and the history replayed again.
  await d.page.locator('[data-control="run"]').selectOption("run-a");
  await d.settle();
  await d.page.evaluate(() =>
    (globalThis as unknown as { dispatchEvent(e: unknown): boolean; Event: new (t: string) => unknown }).dispatchEvent(
      new (globalThis as unknown as { Event: new (t: string) => unknown }).Event("pagehide"),
    ),
  );
  const saved = await d.savedState();
  await d.page.close();
  const again = await openDashboard(browser, { state: saved });
  for (const run of runs) await again.send({ type: "runLoaded", run, metrics: metrics.slice(0, 4), reason: "solved" });
  await again.settle();
  assert.equal(await again.page.locator('[data-control="run"]').inputValue(), "run-a");
  await again.page.close();
});
