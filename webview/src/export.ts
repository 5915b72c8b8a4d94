/**
 * What the page exports: a chart as PNG (its canvas, with the title and legend painted around
 * it) or as SVG (drawn again from the chart's data, since uPlot paints on a canvas: the same
 * lines, bands, axes and legend), and a run's metrics as CSV. The page cannot save files
 * itself: it hands the bytes to the extension, which asks where to save them.
 */
import { formatNumber } from "./format";
import type { BandSpec, LineSpec } from "./chartSpec";
import type { Column, RunColumns } from "./state";
import type { Theme } from "./theme";

/** What a chart last drew: enough to draw it again elsewhere. */
export interface ChartPicture {
  title: string;
  lines: LineSpec[];
  bands: BandSpec[];
  x: number[];
  series: Column[];
  xLabel: string;
  log: boolean;
  percent: boolean;
  theme: Theme;
}

const SVG_WIDTH = 800;
const PLOT_HEIGHT = 260;
const MARGIN = { left: 64, right: 16, top: 32, bottom: 40 };
const LEGEND_ROW = 18;

/** A file name from a title: letters, digits and dashes. */
export function fileStem(text: string): string {
  return (
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 60) || "chart"
  );
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** About `count` round tick values covering [lo, hi] (steps of 1, 2 or 5 times a power of ten). */
export function niceTicks(lo: number, hi: number, count = 5): number[] {
  if (!(hi > lo)) return [lo];
  const step = tickStep(lo, hi, count);
  const ticks: number[] = [];
  // Multiples of the step, rounded to its precision so that 0.1 + 0.2 reads 0.3.
  for (let k = Math.ceil(lo / step - 1e-9); k * step <= hi + step * 1e-9; k++) ticks.push(Number((k * step).toPrecision(12)));
  return ticks;
}

function tickStep(lo: number, hi: number, count: number): number {
  const raw = (hi - lo) / count;
  const power = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * power).find((s) => s >= raw * (1 - 1e-9)) ?? 10 * power;
}

/** A tick's label: whole numbers as they are, others compact. */
function tickText(value: number): string {
  return Number.isInteger(value) && Math.abs(value) < 1e6 ? String(value) : formatNumber(value);
}

/** The chart as an SVG document: one `<path data-series>` per line (bands as `<path class="band">`), axes with ticks, a legend. */
export function chartSvg(p: ChartPicture): string {
  const legendLines = p.lines.filter((l) => !l.quiet);
  const legendRows = Math.ceil(legendLines.length / 3);
  const height = MARGIN.top + PLOT_HEIGHT + MARGIN.bottom + legendRows * LEGEND_ROW + 8;
  const plotW = SVG_WIDTH - MARGIN.left - MARGIN.right;
  const yOf = (v: number) => (p.log ? (v > 0 ? Math.log10(v) : NaN) : v);
  const finite = p.x.filter(Number.isFinite);
  const xLo = finite.length ? Math.min(...finite) : 0;
  const xHi = finite.length ? Math.max(...finite) : 1;
  let yLo = Infinity;
  let yHi = -Infinity;
  for (const s of p.series)
    for (const v of s) {
      const y = v === null ? NaN : yOf(v);
      if (Number.isFinite(y)) {
        yLo = Math.min(yLo, y);
        yHi = Math.max(yHi, y);
      }
    }
  if (!Number.isFinite(yLo)) [yLo, yHi] = [0, 1];
  if (yHi === yLo) [yLo, yHi] = [yLo - 0.5, yHi + 0.5];
  // The y axis from a round tick below the data to one above it, as the canvas does.
  const yStep = tickStep(yLo, yHi, 5);
  [yLo, yHi] = [Math.floor(yLo / yStep) * yStep, Math.ceil(yHi / yStep) * yStep];
  const px = (x: number) => MARGIN.left + ((x - xLo) / (xHi - xLo || 1)) * plotW;
  const py = (y: number) => MARGIN.top + PLOT_HEIGHT - ((y - yLo) / (yHi - yLo)) * PLOT_HEIGHT;
  const point = (i: number, v: number | null): [number, number] | null => {
    const y = v === null ? NaN : yOf(v);
    return Number.isFinite(p.x[i]) && Number.isFinite(y) ? [px(p.x[i]), py(y)] : null;
  };
  const f = (n: number) => n.toFixed(1);
  const pathOf = (s: Column) => {
    let d = "";
    let pen = false;
    s.forEach((v, i) => {
      const at = point(i, v);
      if (!at) return; // a gap is spanned, as on the canvas
      d += `${pen ? "L" : "M"}${f(at[0])} ${f(at[1])}`;
      pen = true;
    });
    return d;
  };
  const t = p.theme;
  const font = escapeXml(t.font);
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${SVG_WIDTH}" height="${height}" viewBox="0 0 ${SVG_WIDTH} ${height}" font-family="${font}" font-size="11">`,
    `<rect width="100%" height="100%" fill="${escapeXml(t.background)}"/>`,
    `<text x="${MARGIN.left}" y="18" font-size="13" fill="${escapeXml(t.foreground)}">${escapeXml(p.title)}</text>`,
  ];
  const yTicks = niceTicks(yLo, yHi);
  const yText = (y: number) => (p.log ? tickText(Number((10 ** y).toPrecision(6))) : p.percent ? `${Math.round(y * 100)}%` : tickText(y));
  for (const y of yTicks) {
    out.push(
      `<line x1="${MARGIN.left}" x2="${SVG_WIDTH - MARGIN.right}" y1="${f(py(y))}" y2="${f(py(y))}" stroke="${escapeXml(t.grid)}" stroke-width="1"/>`,
      `<text x="${MARGIN.left - 6}" y="${f(py(y) + 4)}" text-anchor="end" fill="${escapeXml(t.muted)}">${escapeXml(yText(y))}</text>`,
    );
  }
  for (const x of niceTicks(xLo, xHi, 6)) {
    out.push(
      `<line x1="${f(px(x))}" x2="${f(px(x))}" y1="${MARGIN.top}" y2="${MARGIN.top + PLOT_HEIGHT}" stroke="${escapeXml(t.grid)}" stroke-width="1"/>`,
      `<text x="${f(px(x))}" y="${MARGIN.top + PLOT_HEIGHT + 16}" text-anchor="middle" fill="${escapeXml(t.muted)}">${escapeXml(tickText(x))}</text>`,
    );
  }
  out.push(
    `<text x="${MARGIN.left + plotW / 2}" y="${MARGIN.top + PLOT_HEIGHT + 32}" text-anchor="middle" fill="${escapeXml(t.muted)}">${escapeXml(p.xLabel)}</text>`,
  );
  for (const band of p.bands) {
    const upper = p.series[band.upper] ?? [];
    const lower = p.series[band.lower] ?? [];
    const top: string[] = [];
    const bottom: string[] = [];
    upper.forEach((u, i) => {
      const a = point(i, u);
      const b = point(i, lower[i] ?? null);
      if (!a || !b) return;
      top.push(`${f(a[0])} ${f(a[1])}`);
      bottom.unshift(`${f(b[0])} ${f(b[1])}`);
    });
    if (top.length) out.push(`<path class="band" d="M${[...top, ...bottom].join("L")}Z" fill="${escapeXml(band.fill)}" stroke="none"/>`);
  }
  p.lines.forEach((line, k) => {
    const dash = line.dash ? ` stroke-dasharray="${line.dash.join(" ")}"` : "";
    out.push(
      `<path data-series="${escapeXml(line.label)}" d="${pathOf(p.series[k] ?? [])}" fill="none" stroke="${escapeXml(line.color)}" stroke-width="${line.width ?? 1.5}"${dash} stroke-linejoin="round"/>`,
    );
  });
  const legendTop = MARGIN.top + PLOT_HEIGHT + MARGIN.bottom + 4;
  legendLines.forEach((line, k) => {
    const x = MARGIN.left + (k % 3) * (plotW / 3);
    const y = legendTop + Math.floor(k / 3) * LEGEND_ROW;
    const series = p.series[p.lines.indexOf(line)] ?? [];
    const lastIndex = findLastIndex(series);
    const value = lastIndex < 0 ? "–" : line.format ? line.format(series[lastIndex], lastIndex) : formatNumber(series[lastIndex]);
    out.push(
      `<line x1="${f(x)}" x2="${f(x + 16)}" y1="${y}" y2="${y}" stroke="${escapeXml(line.color)}" stroke-width="2"/>`,
      `<text class="legend" x="${f(x + 22)}" y="${y + 4}" fill="${escapeXml(t.foreground)}">${escapeXml(`${line.label}: ${value}`)}</text>`,
    );
  });
  out.push("</svg>");
  return out.join("\n");
}

function findLastIndex(column: Column): number {
  for (let i = column.length - 1; i >= 0; i--) if (column[i] !== null && Number.isFinite(column[i])) return i;
  return -1;
}

/**
 * The chart as a PNG: the plot's canvas at its own resolution, on the theme's background, with
 * the title above and the legend (each line's label and latest value) below. Base64, no prefix.
 */
export function chartPng(plot: HTMLCanvasElement, p: ChartPicture): string {
  const scale = plot.width / Math.max(1, plot.clientWidth || plot.width);
  const legendLines = p.lines.filter((l) => !l.quiet);
  const pad = 8 * scale;
  const titleH = 22 * scale;
  const legendH = Math.ceil(legendLines.length / 3) * LEGEND_ROW * scale + pad;
  const canvas = document.createElement("canvas");
  canvas.width = plot.width + 2 * pad;
  canvas.height = titleH + plot.height + legendH + pad;
  const ctx = canvas.getContext("2d");
  if (!ctx) throw new Error("no 2d canvas");
  ctx.fillStyle = p.theme.background;
  ctx.fillRect(0, 0, canvas.width, canvas.height);
  ctx.fillStyle = p.theme.foreground;
  ctx.font = `${13 * scale}px ${p.theme.font}`;
  ctx.textBaseline = "middle";
  ctx.fillText(p.title, pad, titleH / 2 + pad / 2, canvas.width - 2 * pad);
  ctx.drawImage(plot, pad, titleH);
  ctx.font = `${11 * scale}px ${p.theme.font}`;
  const colW = (canvas.width - 2 * pad) / 3;
  legendLines.forEach((line, k) => {
    const x = pad + (k % 3) * colW;
    const y = titleH + plot.height + pad + (Math.floor(k / 3) + 0.5) * LEGEND_ROW * scale;
    const series = p.series[p.lines.indexOf(line)] ?? [];
    const i = findLastIndex(series);
    const value = i < 0 ? "–" : line.format ? line.format(series[i], i) : formatNumber(series[i]);
    ctx.strokeStyle = line.color;
    ctx.lineWidth = 2 * scale;
    ctx.beginPath();
    ctx.moveTo(x, y);
    ctx.lineTo(x + 16 * scale, y);
    ctx.stroke();
    ctx.fillStyle = p.theme.foreground;
    ctx.fillText(`${line.label}: ${value}`, x + 22 * scale, y, colW - 26 * scale);
  });
  return canvas.toDataURL("image/png").replace(/^data:image\/png;base64,/, "");
}

/** A CSV field: quoted when it holds a comma, a quote or a line break. */
function csvField(value: string): string {
  return /[",\n\r]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One row per update the page holds, a column per quantity (reward terms' shares as `share:<term>`). */
export function metricsCsv(cols: RunColumns): string {
  const columns: Array<[string, ArrayLike<number | null>]> = [
    ["update", cols.update],
    ["episodes", cols.episodes],
    ["envSteps", cols.envSteps],
    ["seconds", cols.seconds],
    ["returnMean", cols.returnMean],
    ["returnMin", cols.returnMin],
    ["returnMax", cols.returnMax],
    ["meanReturn100", cols.meanReturn100],
    ["episodeLengthMean", cols.episodeLength],
    ["policyEntropy", cols.entropy],
    ["gradNorm", cols.gradNorm],
    ["snr", cols.snr],
    ["noiseScale", cols.noiseScale],
    ["baselineReduction", cols.baselineReduction],
  ];
  if (cols.explainedVariance.some((v) => v !== null)) columns.push(["explainedVariance", cols.explainedVariance]);
  for (const [name, shares] of Object.entries(cols.termShares)) columns.push([`share:${name}`, shares]);
  const rows = [columns.map(([name]) => csvField(name)).join(",")];
  for (let i = 0; i < cols.update.length; i++) {
    rows.push(
      columns
        .map(([, column]) => {
          const v = column[i];
          return v === null || v === undefined || !Number.isFinite(v) ? "" : String(v);
        })
        .join(","),
    );
  }
  return `${rows.join("\n")}\n`;
}
