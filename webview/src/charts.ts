/**
 * One live chart: a uPlot instance that is fed new columns every frame (`setData`) and is
 * only rebuilt when its set of lines or the theme changes. Cursors of all charts move
 * together, as in TensorBoard, so a hover reads every quantity at the same update.
 */
import uPlot from "uplot";
import type { Column } from "./state";
import { chartPng, chartSvg, fileStem, type ChartPicture } from "./export";
import type { BandSpec, LineSpec } from "./chartSpec";
import { formatNumber, formatPercent } from "./format";
import type { Theme } from "./theme";

/** A chart exported from its buttons: the file's suggested name, its format and its contents (PNG in base64). */
export type ChartExport = { name: string; format: "png" | "svg"; data: string };

export interface ChartLayout {
  lines: LineSpec[];
  bands?: BandSpec[];
  /** What x counts ("update" unless told), and whether it only takes whole numbers. */
  xLabel?: string;
  wholeX?: boolean;
}

export interface ChartOptions {
  log?: boolean;
  height?: number;
  /** Fixed y range (e.g. probabilities in [0, 1]). */
  range?: [number, number];
  /** y tick labels as percentages of 1. */
  percent?: boolean;
}

interface PendingDraw {
  layout: ChartLayout;
  x: number[];
  series: Column[];
  theme: Theme;
  updates: number;
}

const CURSOR_SYNC_KEY = "rl-dashboard";
const X_TICK_STEPS = [
  1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 200000, 500000, 1e6, 2e6, 5e6, 1e7, 2e7, 5e7,
];

export class LiveChart {
  readonly root: HTMLElement;
  private readonly body: HTMLElement;
  private plot: uPlot | null = null;
  private key = "";
  private layout: ChartLayout | null = null;
  private inView = true;
  private pending: PendingDraw | null = null;
  private width = 0;
  private readonly caption: Text;
  /** What was last handed to `draw`, for an export. */
  private last: PendingDraw | null = null;

  /** Change the chart's title (what its band means can depend on what is drawn). */
  set title(text: string) {
    if (this.caption.data !== text) this.caption.data = text;
  }

  /** The plot's width in CSS pixels: more points per line than this cannot be seen. */
  get pixelWidth(): number {
    return this.width;
  }

  constructor(
    parent: HTMLElement,
    readonly id: string,
    title: string,
    private readonly options: ChartOptions = {},
  ) {
    this.root = document.createElement("figure");
    this.root.className = "chart";
    this.root.dataset.chart = id;
    const caption = document.createElement("figcaption");
    this.caption = document.createTextNode(title);
    caption.append(this.caption);
    this.body = document.createElement("div");
    this.body.className = "chart-body";
    this.root.append(caption, this.body);
    parent.append(this.root);
    new ResizeObserver(() => this.resize()).observe(this.root);
    // A chart out of view is not redrawn (its canvas would be painted for nobody); it catches up when it scrolls in.
    new IntersectionObserver(
      (entries) => {
        this.inView = entries.some((e) => e.isIntersecting);
        if (this.inView && this.pending) this.flush(this.pending);
      },
      { rootMargin: "100px" },
    ).observe(this.root);
  }

  /** Draw `series` (one per line, aligned with `x`); `updates` is how many updates they summarise. */
  draw(layout: ChartLayout, x: number[], series: Column[], theme: Theme, updates: number): void {
    this.pending = { layout, x, series, theme, updates };
    this.last = this.pending;
    if (this.inView && !this.root.hidden) this.flush(this.pending);
  }

  private flush({ layout, x, series, theme, updates }: PendingDraw): void {
    this.pending = null;
    const key = JSON.stringify([
      layout.lines.map(({ format: _f, ...rest }) => rest),
      layout.bands ?? [],
      layout.xLabel,
      layout.wholeX,
      theme,
    ]);
    const data = [x, ...series] as uPlot.AlignedData;
    this.layout = layout;
    if (!this.plot || key !== this.key) {
      this.plot?.destroy();
      this.key = key;
      this.plot = new uPlot(this.plotOptions(layout, theme), data, this.body);
    } else this.plot.setData(data);
    this.showLatestInLegend();
    this.root.dataset.points = String(x.length);
    this.root.dataset.updates = String(updates);
  }

  /** PNG and SVG buttons in the caption; `onExport` gets the file (nothing while the chart has drawn nothing). */
  addExportButtons(onExport: (file: ChartExport) => void): void {
    const buttons = document.createElement("span");
    buttons.className = "chart-export";
    for (const format of ["png", "svg"] as const) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "link";
      button.textContent = format.toUpperCase();
      button.title = `Save this chart as ${format.toUpperCase()}`;
      button.dataset.export = format;
      button.addEventListener("click", () => {
        const file = this.export(format);
        if (file) onExport(file);
      });
      buttons.append(button);
    }
    this.root.querySelector("figcaption")?.append(buttons);
  }

  /** The chart as a file: the canvas with its title and legend (PNG), or drawn again from its data (SVG). */
  export(format: "png" | "svg"): ChartExport | null {
    const last = this.last;
    if (!last) return null;
    const picture: ChartPicture = {
      title: this.caption.data,
      lines: last.layout.lines,
      bands: last.layout.bands ?? [],
      x: last.x,
      series: last.series,
      xLabel: last.layout.xLabel ?? "update",
      log: this.options.log ?? false,
      percent: this.options.percent ?? false,
      theme: last.theme,
    };
    if (format === "svg") return { name: `${fileStem(this.id)}.svg`, format, data: chartSvg(picture) };
    if (this.pending) this.flush(this.pending);
    const canvas = this.body.querySelector("canvas");
    return canvas ? { name: `${fileStem(this.id)}.png`, format, data: chartPng(canvas, picture) } : null;
  }

  /** Away from the cursor the legend reads the latest values, not dashes. */
  private showLatestInLegend(): void {
    const plot = this.plot;
    if (!plot || (plot.cursor.left ?? -1) >= 0) return;
    const n = plot.data[0].length;
    if (n > 0) plot.setLegend({ idx: n - 1 });
  }

  private resize(): void {
    const width = Math.floor(this.body.clientWidth);
    if (width === this.width || width <= 0) return;
    this.width = width;
    this.plot?.setSize({ width, height: this.options.height ?? 180 });
  }

  private plotOptions(layout: ChartLayout, theme: Theme): uPlot.Options {
    const font = `11px ${theme.font}`;
    const whole = layout.wholeX ?? true;
    const axis = (): uPlot.Axis => ({
      stroke: theme.muted,
      font,
      grid: { stroke: theme.grid, width: 1 },
      ticks: { stroke: theme.grid, width: 1 },
    });
    const yAxis: uPlot.Axis = { ...axis(), size: 52 };
    if (this.options.percent) yAxis.values = (_u, splits) => splits.map((v) => `${Math.round(v * 100)}%`);
    const yScale: uPlot.Scale = this.options.log ? { distr: 3, log: 10 } : {};
    if (this.options.range) yScale.range = this.options.range;
    this.width = Math.max(200, Math.floor(this.body.clientWidth));
    return {
      width: this.width,
      height: this.options.height ?? 180,
      pxAlign: false,
      scales: { x: { time: false }, y: yScale },
      // Updates, episodes and steps are whole numbers: ticks at 1-2-5 steps, never at 2.5.
      axes: [whole ? { ...axis(), incrs: X_TICK_STEPS } : axis(), yAxis],
      hooks: { setCursor: [() => this.showLatestInLegend()] },
      legend: { live: true },
      cursor: { sync: { key: CURSOR_SYNC_KEY }, points: { size: 5 } },
      series: [
        { label: layout.xLabel ?? "update", value: (_u, v) => (v === null ? "–" : whole ? String(v) : v.toFixed(1)) },
        ...layout.lines.map((line): uPlot.Series => ({
          label: line.label,
          stroke: line.color,
          width: line.width ?? 1.5,
          dash: line.dash,
          class: line.quiet ? "quiet" : undefined,
          points: { show: false },
          spanGaps: true,
          // The layout of the latest frame: a format may read that frame's data.
          value: (_u, v, s, i) => {
            const format = this.layout?.lines[s - 1]?.format;
            // On a percent axis the legend speaks percent too.
            return format && i !== null ? format(v, i) : this.options.percent ? formatPercent(v) : formatNumber(v);
          },
        })),
      ],
      bands: (layout.bands ?? []).map((b) => ({ series: [b.upper + 1, b.lower + 1], fill: b.fill })),
    };
  }
}
