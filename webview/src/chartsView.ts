/**
 * The chart sections (Reward, Policy, Gradient signal): what each chart shows of the
 * selected run and of the runs overlaid on it. Every frame turns the runs' columns into
 * at most ~one point per pixel (see `series.ts`) and hands them to the charts.
 */
import { LiveChart, type ChartExport } from "./charts";
import type { BandSpec, LineSpec } from "./chartSpec";
import { formatNumber } from "./format";
import {
  bucketizeIncremental as bucketize,
  bucketsFor,
  derivedColumn,
  positiveOnly,
  smoothIncremental as smooth,
  type Buckets,
} from "./series";
import { comparableRuns, findRun, seedGroup, X_AXES, type Column, type RunData, type ViewState } from "./state";
import { withAlpha, type Theme } from "./theme";

/** Points per chart line: about one per pixel of the widest chart, within these bounds. */
const MIN_POINTS = 200;
const MAX_POINTS = 1000;

interface Section {
  details: HTMLDetailsElement;
  body: HTMLElement;
}

function section(parent: HTMLElement, id: string, title: string): Section {
  const details = document.createElement("details");
  details.open = true;
  details.className = "section";
  details.dataset.section = id;
  const summary = document.createElement("summary");
  summary.textContent = title;
  const body = document.createElement("div");
  body.className = "section-body charts";
  details.append(summary, body);
  parent.append(details);
  return { details, body };
}

function hint(parent: HTMLElement, id: string): HTMLElement {
  const p = document.createElement("p");
  p.className = "hint";
  p.dataset.hint = id;
  p.hidden = true;
  parent.append(p);
  return p;
}

/** Colour of a run: by its place among all runs, so it keeps its colour when others come and go. */
export function runColor(state: ViewState, run: RunData, theme: Theme): string {
  const i = state.runs.indexOf(run);
  return theme.palette[Math.max(0, i) % theme.palette.length];
}

export function runLabel(state: ViewState, run: RunData): string {
  const group = seedGroup(state, run);
  if (group.length > 1 && group[0] === run) {
    // A group that says what its runs share (a sweep's grid point) is named by it.
    if (run.info.groupLabel) return `${run.info.environment} ${run.info.groupLabel} (${group.length} seeds)`;
    return `${runLabelAlone(state, run)} + ${group.length - 1} seeds`;
  }
  return runLabelAlone(state, run);
}

function runLabelAlone(state: ViewState, run: RunData): string {
  if (run.info.groupLabel) {
    const seed = run.info.settings?.seed;
    return `${run.info.environment} ${run.info.groupLabel}${seed === undefined ? "" : ` seed ${seed}`}`;
  }
  if (run.info.source === "saved") return `${run.info.environment} (saved ${run.info.runDir?.split(/[\\/]/).pop() ?? ""})`;
  const sameFile = state.runs.filter((r) => r.info.uri === run.info.uri && r.info.source === "live");
  return `${run.info.environment} #${sameFile.indexOf(run) + 1}`;
}

export class ChartsView {
  private readonly reward: Section;
  private readonly policy: Section;
  private readonly gradient: Section;
  private readonly charts: Record<string, LiveChart>;
  private readonly policyHint: HTMLElement;
  private readonly noiseHint: HTMLElement;
  private readonly termsHint: HTMLElement;
  private readonly probeSelect: HTMLSelectElement;

  constructor(root: HTMLElement, onProbeState: (probe: number) => void, onExport: (file: ChartExport) => void) {
    this.reward = section(root, "reward", "Reward");
    this.policy = section(root, "policy", "Policy");
    this.gradient = section(root, "gradient", "Gradient signal");
    this.charts = {
      reward: new LiveChart(this.reward.body, "reward", "Mean episode return per update (band: min–max)", { height: 220 }),
      length: new LiveChart(this.reward.body, "length", "Episode length"),
      entropy: new LiveChart(this.policy.body, "entropy", "Policy entropy (nats)"),
    };
    const probeRow = document.createElement("label");
    probeRow.className = "probe-select";
    probeRow.textContent = "Probe state ";
    this.probeSelect = document.createElement("select");
    this.probeSelect.addEventListener("change", () => onProbeState(Number(this.probeSelect.value)));
    probeRow.append(this.probeSelect);
    this.charts.policy = new LiveChart(this.policy.body, "policy", "Policy at a fixed probe state", { range: [0, 1] });
    this.charts.policy.root.querySelector("figcaption")?.append(probeRow);
    this.policyHint = hint(this.policy.body, "policy");
    // Linear: the estimate of ‖∇J‖² is clamped at 0, and a 0 (no signal measured) must stay visible.
    this.charts.gradNorm = new LiveChart(this.gradient.body, "gradNorm", "Gradient norm ‖∇J‖ (√ of the update's estimate of ‖∇J‖²)");
    this.charts.snr = new LiveChart(this.gradient.body, "snr", "Signal-to-noise ratio of the batch gradient (log)", { log: true });
    this.charts.noise = new LiveChart(this.gradient.body, "noise", "Gradient noise scale vs episodes per update (log)", { log: true });
    this.noiseHint = hint(this.gradient.body, "noise");
    this.charts.baseline = new LiveChart(this.gradient.body, "baseline", "Variance removed by the baseline", { percent: true });
    // 1: V predicts every return-to-go; 0: no better than a constant; below 0: V adds noise.
    this.charts.explained = new LiveChart(
      this.gradient.body,
      "explained",
      "Explained variance of the value baseline, 1 − Var(G − V)/Var(G)",
    );
    this.charts.terms = new LiveChart(
      this.gradient.body,
      "terms",
      "Share of gradient variance per reward term: Cov(term, total) / Var(total), adding up to 100% (negative: the term cancels others' noise)",
      { percent: true },
    );
    this.termsHint = hint(this.gradient.body, "terms");
    for (const chart of Object.values(this.charts)) chart.addExportButtons(onExport);
  }

  chart(id: string): LiveChart | undefined {
    return this.charts[id];
  }

  draw(state: ViewState, theme: Theme): void {
    const run = findRun(state, state.selectedRunId);
    const members = run ? seedGroup(state, run) : [];
    const overlays = run
      ? comparableRuns(state, run)
          .filter((r) => state.compareRunIds.includes(r.info.runId))
          .map((r) => seedGroup(state, r))
      : [];
    const axis = X_AXES[state.xAxis] ?? X_AXES.update;
    const xOf = (r: RunData) => axis.column(r.cols);
    const maxX = Math.max(0, ...[members, ...overlays].flat().map((r) => xOf(r).at(-1) ?? 0));
    const widest = Math.max(...Object.values(this.charts).map((chart) => chart.pixelWidth));
    const whole = state.xAxis !== "seconds";
    const b = bucketsFor(maxX, Math.min(MAX_POINTS, Math.max(MIN_POINTS, widest)), state.xAxis, whole);
    const ctx: DrawContext = {
      state,
      theme,
      run,
      members,
      overlays,
      b,
      xOf,
      updates: run?.cols.update.length ?? 0,
      xLabel: axis.label,
      whole,
    };
    if (this.reward.details.open) {
      this.drawReward(ctx);
      this.drawCompared(ctx, this.charts.length, (r) => r.cols.episodeLength, "episode length");
    }
    if (this.policy.details.open) {
      this.drawCompared(ctx, this.charts.entropy, (r) => r.cols.entropy, "entropy");
      this.drawPolicy(ctx);
    }
    if (this.gradient.details.open) {
      this.drawCompared(ctx, this.charts.gradNorm, (r) => r.cols.gradNorm, "‖∇J‖");
      this.drawCompared(ctx, this.charts.snr, (r) => r.cols.snr, "SNR", true);
      this.drawNoise(ctx);
      this.drawCompared(ctx, this.charts.baseline, (r) => r.cols.baselineReduction, "variance removed");
      this.drawExplained(ctx);
      this.drawTerms(ctx);
    }
  }

  private drawChart(c: DrawContext, chart: LiveChart, lines: LineSpec[], series: Column[], bands: BandSpec[] = []): void {
    chart.draw({ lines, bands, xLabel: c.xLabel, wholeX: c.whole }, c.b.x, series, c.theme, c.updates);
  }

  private drawReward(c: DrawContext): void {
    const { run, theme, b, state } = c;
    const lines: LineSpec[] = [];
    const series: Column[] = [];
    const bands: BandSpec[] = [];
    if (run && c.members.length > 1) {
      this.addUnit(c, { lines, series, bands }, c.members, (r) => r.cols.returnMean, "mean return", 2);
      lines.push({ label: "last 100 episodes", color: theme.foreground, width: 1.5, dash: [6, 3] });
      series.push(groupMean(c.members.map((r) => bucketize(c.xOf(r), r.cols.meanReturn100, b, "last"))).mean);
    } else if (run) {
      const color = runColor(state, run, theme);
      const x = c.xOf(run);
      lines.push({ label: "max", color: withAlpha(color, 0.3), width: 0.5, quiet: true });
      series.push(bucketize(x, run.cols.returnMax, b, "max"));
      lines.push({ label: "min", color: withAlpha(color, 0.3), width: 0.5, quiet: true });
      series.push(bucketize(x, run.cols.returnMin, b, "min"));
      bands.push({ upper: 0, lower: 1, fill: withAlpha(color, theme.kind === "light" ? 0.14 : 0.22) });
      lines.push({ label: "raw", color: withAlpha(color, 0.4), width: 1, quiet: true });
      series.push(bucketize(x, run.cols.returnMean, b, "mean"));
      lines.push({ label: "mean return", color, width: 2 });
      series.push(this.smoothed(c, run, (r) => r.cols.returnMean));
      lines.push({ label: "last 100 episodes", color: theme.foreground, width: 1.5, dash: [6, 3] });
      series.push(bucketize(x, run.cols.meanReturn100, b, "last"));
    }
    const threshold = run?.info.rewardThreshold ?? null;
    if (threshold !== null) {
      lines.push({ label: "solve threshold", color: theme.good, width: 1.5, dash: [2, 3] });
      series.push(b.x.map(() => threshold));
    }
    this.addOverlays(c, { lines, series, bands }, (r) => r.cols.returnMean);
    this.charts.reward.title =
      c.members.length > 1
        ? `Mean episode return of ${c.members.length} seeds (band: ± σ over the seeds)`
        : "Mean episode return per update (band: min–max)";
    this.drawChart(c, this.charts.reward, lines, series, bands);
  }

  /** The selected run (or its seed group) and its overlays, smoothed, for a quantity every run has. */
  private drawCompared(c: DrawContext, chart: LiveChart, pick: (r: RunData) => Column, label: string, log = false): void {
    const out: ChartLines = { lines: [], series: [], bands: [] };
    if (c.run) this.addUnit(c, out, c.members, pick, label, 2, log);
    this.addOverlays(c, out, pick, log);
    this.drawChart(c, chart, out.lines, out.series, out.bands);
  }

  /**
   * The value drawn at bucket k is the smoothed value at the bucket's last point: smoothing runs
   * over every update first, so what a point reads does not depend on how many points are drawn.
   * Unsmoothed (weight 0), a bucket draws the mean of its updates.
   */
  private smoothed(c: DrawContext, r: RunData, pick: (r: RunData) => Column, log = false, smoothIt = true): Column {
    const weight = smoothIt ? c.state.smoothing : 0;
    const values = bucketize(c.xOf(r), smooth(pick(r), weight), c.b, weight > 0 ? "last" : "mean");
    return log ? positiveOnly(values) : values;
  }

  /** One run as a line; a seed group as the mean over its seeds with a ±1 standard deviation band. */
  private addUnit(
    c: DrawContext,
    out: ChartLines,
    members: RunData[],
    pick: (r: RunData) => Column,
    label: string,
    width: number,
    log = false,
    smoothIt = true,
  ): void {
    const color = runColor(c.state, members[0], c.theme);
    if (members.length === 1) {
      out.lines.push({ label, color, width });
      out.series.push(this.smoothed(c, members[0], pick, log, smoothIt));
      return;
    }
    const { mean, upper, lower } = groupMean(members.map((r) => this.smoothed(c, r, pick, false, smoothIt)));
    const at = out.lines.length;
    out.lines.push({ label: `${label} (mean of ${members.length} seeds)`, color, width });
    out.lines.push({ label: `${label} +σ`, color: withAlpha(color, 0.35), width: 0.5, quiet: true });
    out.lines.push({ label: `${label} −σ`, color: withAlpha(color, 0.35), width: 0.5, quiet: true });
    out.series.push(...(log ? [mean, upper, lower].map(positiveOnly) : [mean, upper, lower]));
    out.bands.push({ upper: at + 1, lower: at + 2, fill: withAlpha(color, c.theme.kind === "light" ? 0.24 : 0.26) });
  }

  private addOverlays(c: DrawContext, out: ChartLines, pick: (r: RunData) => Column, log = false, smoothIt = true): void {
    for (const members of c.overlays) this.addUnit(c, out, members, pick, runLabel(c.state, members[0]), 1.25, log, smoothIt);
  }

  /** Only for runs with a value baseline (the metrics carry it then): other runs have no V to explain with. */
  private drawExplained(c: DrawContext): void {
    const has = (r: RunData) => r.cols.explainedVariance.some((v) => v !== null);
    const shown = c.members.some(has);
    this.charts.explained.root.hidden = !shown;
    if (!shown) return;
    const out: ChartLines = { lines: [], series: [], bands: [] };
    this.addUnit(c, out, c.members, (r) => r.cols.explainedVariance, "explained variance", 2);
    for (const members of c.overlays.filter((g) => g.some(has)))
      this.addUnit(c, out, members, (r) => r.cols.explainedVariance, runLabel(c.state, members[0]), 1.25);
    this.drawChart(c, this.charts.explained, out.lines, out.series, out.bands);
  }

  private drawNoise(c: DrawContext): void {
    const out: ChartLines = { lines: [], series: [], bands: [] };
    const batch = c.run?.info.settings?.episodesPerUpdate ?? null;
    // The noise scale is already averaged over updates (its numerator and denominator apart): no second smoothing.
    if (c.run) this.addUnit(c, out, c.members, (r) => r.cols.noiseScale, "noise scale", 2, true, false);
    if (c.run && batch !== null) {
      out.lines.push({ label: "episodes per update", color: c.theme.foreground, width: 1.5, dash: [6, 3] });
      out.series.push(c.b.x.map(() => batch));
    }
    this.addOverlays(c, out, (r) => r.cols.noiseScale, true, false);
    this.drawChart(c, this.charts.noise, out.lines, out.series, out.bands);
    const noise = c.run?.cols.noiseScale.at(-1) ?? null;
    this.noiseHint.hidden = batch === null || noise === null || noise <= batch;
    this.noiseHint.textContent =
      `The latest noise scale (${formatNumber(noise)}) is above the ${batch} episodes per update: ` +
      "each step is mostly noise. Raise episodesPerUpdate or add a baseline.";
  }

  private drawPolicy(c: DrawContext): void {
    const p = c.run?.cols.policy ?? null;
    const lines: LineSpec[] = [];
    const series: Column[] = [];
    const bands: BandSpec[] = [];
    const probe = Math.min(c.state.probeState, Math.max(0, (p?.probeStates ?? 1) - 1));
    this.syncProbeOptions(p?.probeStates ?? 0, probe);
    const u = c.run ? c.xOf(c.run) : [];
    if (p?.kind === "discrete") {
      for (let a = 0; a < p.actions; a++) {
        lines.push({ label: `P(action ${a})`, color: c.theme.palette[a % c.theme.palette.length], width: 2 });
        series.push(bucketize(u, p.probs[probe * p.actions + a], c.b, "mean"));
      }
    } else if (p?.kind === "box") {
      for (let d = 0; d < p.dims; d++) {
        const color = c.theme.palette[d % c.theme.palette.length];
        const mean = p.mean[probe * p.dims + d];
        const std = p.std[d];
        const edge = (sign: number) => (i: number) => {
          const m = mean[i];
          const sd = std[i];
          return m === null || sd === null ? null : m + sign * sd;
        };
        const up = derivedColumn(mean, "+σ", mean.length, edge(1));
        const down = derivedColumn(mean, "−σ", mean.length, edge(-1));
        const at = lines.length;
        lines.push({ label: `mean ${d}`, color, width: 2 });
        lines.push({ label: `+σ ${d}`, color: withAlpha(color, 0.3), width: 0.5, quiet: true });
        lines.push({ label: `−σ ${d}`, color: withAlpha(color, 0.3), width: 0.5, quiet: true });
        series.push(bucketize(u, mean, c.b, "mean"), bucketize(u, up, c.b, "mean"), bucketize(u, down, c.b, "mean"));
        bands.push({ upper: at + 1, lower: at + 2, fill: withAlpha(color, 0.15) });
      }
    }
    this.drawChart(c, this.charts.policy, lines, series, bands);
    this.charts.policy.root.hidden = p === null;
    this.policyHint.hidden = p !== null || !c.run;
    this.policyHint.textContent =
      "No policy snapshots in this run's metrics (metrics.policy): the action probabilities at fixed probe states appear here when the engine reports them.";
  }

  private syncProbeOptions(count: number, selected: number): void {
    if (this.probeSelect.options.length !== count) {
      this.probeSelect.replaceChildren(...Array.from({ length: count }, (_, i) => new Option(`${i + 1} of ${count}`, String(i))));
    }
    if (count > 0) this.probeSelect.value = String(selected);
  }

  /**
   * Each term's signed share of the gradient variance, Cov(g^term, g) / Var(g): the shares add
   * up to 100% by construction, and the "sum" line shows that they do, so a reader can check
   * the decomposition. A share is not stacked on the others: a negative one (a term whose
   * noise cancels the others') would push a stack above 100% and below 0.
   */
  private drawTerms(c: DrawContext): void {
    const terms = c.run ? Object.entries(c.run.cols.termShares) : [];
    const lines: LineSpec[] = [];
    const series: Column[] = [];
    const u = c.run ? c.xOf(c.run) : [];
    const columns = terms.map(([, shares]) => shares);
    terms.forEach(([name, shares], k) => {
      lines.push({ label: name, color: c.theme.palette[k % c.theme.palette.length], width: 1.75, format: formatShare });
      series.push(bucketize(u, shares, c.b, "mean"));
    });
    if (terms.length > 0) {
      const sum = derivedColumn(c.run?.cols.termShares ?? {}, "sum", u.length, (i) => {
        let total = 0;
        for (const column of columns) {
          const v = column[i];
          if (v === null) return null;
          total += v;
        }
        return total;
      });
      lines.push({ label: "sum", color: c.theme.foreground, width: 1, dash: [4, 3], format: formatShare });
      series.push(bucketize(u, sum, c.b, "mean"));
      lines.push({ label: "zero", color: c.theme.muted, width: 0.75, quiet: true });
      series.push(c.b.x.map(() => 0));
    }
    this.drawChart(c, this.charts.terms, lines, series);
    this.charts.terms.root.hidden = terms.length === 0;
    this.termsHint.hidden = terms.length > 0 || !c.run;
    this.termsHint.textContent =
      (c.run?.cols.termNames.length ?? 0) > 0
        ? `No variance shares reported for the reward's terms (${c.run?.cols.termNames.join(", ")}) in this run's metrics (metrics.rewardTermVarianceShares).`
        : "The reward has no named terms: return an object of terms from reward() to see their variance shares.";
  }
}

function formatShare(v: number | null): string {
  return v === null ? "–" : `${(v * 100).toFixed(1)}%`;
}

interface DrawContext {
  state: ViewState;
  theme: Theme;
  run: RunData | undefined;
  /** The selected run's seed group (the run alone when it has none, or groups are off). */
  members: RunData[];
  /** Compared runs, each with its seed group. */
  overlays: RunData[][];
  b: Buckets;
  /** The x column of a run (update, episodes, environment steps or seconds). */
  xOf: (r: RunData) => number[];
  updates: number;
  xLabel: string;
  whole: boolean;
}

interface ChartLines {
  lines: LineSpec[];
  series: Column[];
  bands: BandSpec[];
}

/** Per bucket, the mean over the runs that have a value there, and mean ± the standard deviation over them. */
export function groupMean(columns: Column[]): { mean: Column; upper: Column; lower: Column } {
  const n = Math.max(0, ...columns.map((col) => col.length));
  const mean: Column = new Array<number | null>(n);
  const upper: Column = new Array<number | null>(n);
  const lower: Column = new Array<number | null>(n);
  for (let k = 0; k < n; k++) {
    let count = 0;
    let sum = 0;
    let sumSq = 0;
    for (const col of columns) {
      const v = col[k];
      if (v === null || v === undefined) continue;
      count++;
      sum += v;
      sumSq += v * v;
    }
    if (count === 0) {
      mean[k] = upper[k] = lower[k] = null;
      continue;
    }
    const m = sum / count;
    // The sample standard deviation over the seeds (0 for one seed).
    const sd = count > 1 ? Math.sqrt(Math.max(0, (sumSq - count * m * m) / (count - 1))) : 0;
    mean[k] = m;
    upper[k] = m + sd;
    lower[k] = m - sd;
  }
  return { mean, upper, lower };
}
