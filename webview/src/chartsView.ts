/**
 * The chart sections (Reward, Policy, Gradient signal): what each chart shows of the
 * selected run and of the runs overlaid on it. Every frame turns the runs' columns into
 * at most ~one point per pixel (see `series.ts`) and hands them to the charts.
 */
import { LiveChart, type BandSpec, type LineSpec } from "./charts";
import { formatNumber } from "./format";
import {
  bucketizeIncremental as bucketize,
  bucketsFor,
  derivedColumn,
  positiveOnly,
  smoothIncremental as smooth,
  type Buckets,
} from "./series";
import { comparableRuns, findRun, type Column, type RunData, type ViewState } from "./state";
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

  constructor(root: HTMLElement, onProbeState: (probe: number) => void) {
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
    this.charts.snr = new LiveChart(this.gradient.body, "snr", "Signal-to-noise ratio of the batch gradient (log)", { log: true });
    this.charts.noise = new LiveChart(this.gradient.body, "noise", "Gradient noise scale vs episodes per update (log)", { log: true });
    this.noiseHint = hint(this.gradient.body, "noise");
    this.charts.baseline = new LiveChart(this.gradient.body, "baseline", "Variance removed by the baseline", { percent: true });
    this.charts.terms = new LiveChart(
      this.gradient.body,
      "terms",
      "Share of gradient variance per reward term: Cov(term, total) / Var(total), adding up to 100% (negative: the term cancels others' noise)",
      { percent: true },
    );
    this.termsHint = hint(this.gradient.body, "terms");
  }

  chart(id: string): LiveChart | undefined {
    return this.charts[id];
  }

  draw(state: ViewState, theme: Theme): void {
    const run = findRun(state, state.selectedRunId);
    const overlays = run ? comparableRuns(state, run).filter((r) => state.compareRunIds.includes(r.info.runId)) : [];
    const shown = run ? [run, ...overlays] : [];
    const maxUpdate = Math.max(0, ...shown.map((r) => r.cols.update.at(-1) ?? 0));
    const widest = Math.max(...Object.values(this.charts).map((chart) => chart.pixelWidth));
    const b = bucketsFor(maxUpdate, Math.min(MAX_POINTS, Math.max(MIN_POINTS, widest)));
    const ctx: DrawContext = { state, theme, run, overlays, b, updates: run?.cols.update.length ?? 0 };
    if (this.reward.details.open) {
      this.drawReward(ctx);
      this.drawCompared(ctx, this.charts.length, (r) => r.cols.episodeLength, "episode length");
    }
    if (this.policy.details.open) {
      this.drawCompared(ctx, this.charts.entropy, (r) => r.cols.entropy, "entropy");
      this.drawPolicy(ctx);
    }
    if (this.gradient.details.open) {
      this.drawCompared(ctx, this.charts.snr, (r) => r.cols.snr, "SNR", true);
      this.drawNoise(ctx);
      this.drawCompared(ctx, this.charts.baseline, (r) => r.cols.baselineReduction, "variance removed");
      this.drawTerms(ctx);
    }
  }

  private drawReward(c: DrawContext): void {
    const { run, theme, b, state } = c;
    const lines: LineSpec[] = [];
    const series: Column[] = [];
    const bands: BandSpec[] = [];
    if (run) {
      const color = runColor(state, run, theme);
      const u = run.cols.update;
      lines.push({ label: "max", color: withAlpha(color, 0.3), width: 0.5, quiet: true });
      series.push(bucketize(u, run.cols.returnMax, b, "max"));
      lines.push({ label: "min", color: withAlpha(color, 0.3), width: 0.5, quiet: true });
      series.push(bucketize(u, run.cols.returnMin, b, "min"));
      bands.push({ upper: 0, lower: 1, fill: withAlpha(color, theme.kind === "light" ? 0.14 : 0.22) });
      lines.push({ label: "raw", color: withAlpha(color, 0.4), width: 1, quiet: true });
      series.push(bucketize(u, run.cols.returnMean, b, "mean"));
      lines.push({ label: "mean return", color, width: 2 });
      series.push(bucketize(u, smooth(run.cols.returnMean, state.smoothing), b, "mean"));
      lines.push({ label: "last 100 episodes", color: theme.foreground, width: 1.5, dash: [6, 3] });
      series.push(bucketize(u, run.cols.meanReturn100, b, "mean"));
      const threshold = run.info.rewardThreshold;
      if (threshold !== null) {
        lines.push({ label: "solve threshold", color: theme.good, width: 1.5, dash: [2, 3] });
        series.push(b.x.map(() => threshold));
      }
    }
    this.addOverlays(c, lines, series, (r) => r.cols.returnMean);
    this.charts.reward.draw({ lines, bands }, b.x, series, theme, c.updates);
  }

  /** The selected run and its overlays, smoothed, for a quantity every run has. */
  private drawCompared(c: DrawContext, chart: LiveChart, pick: (r: RunData) => Column, label: string, log = false): void {
    const lines: LineSpec[] = [];
    const series: Column[] = [];
    if (c.run) {
      lines.push({ label, color: runColor(c.state, c.run, c.theme), width: 2 });
      series.push(this.smoothed(c, c.run, pick, log));
    }
    this.addOverlays(c, lines, series, pick, log);
    chart.draw({ lines }, c.b.x, series, c.theme, c.updates);
  }

  private smoothed(c: DrawContext, r: RunData, pick: (r: RunData) => Column, log = false): Column {
    const values = bucketize(r.cols.update, smooth(pick(r), c.state.smoothing), c.b, "mean");
    return log ? positiveOnly(values) : values;
  }

  /** The noise scale is already averaged over updates (its numerator and denominator apart): no second smoothing. */
  private averaged(c: DrawContext, r: RunData): Column {
    return positiveOnly(bucketize(r.cols.update, r.cols.noiseScale, c.b, "mean"));
  }

  private addOverlays(c: DrawContext, lines: LineSpec[], series: Column[], pick: (r: RunData) => Column, log = false): void {
    for (const r of c.overlays) {
      lines.push({ label: runLabel(c.state, r), color: runColor(c.state, r, c.theme), width: 1.25 });
      series.push(this.smoothed(c, r, pick, log));
    }
  }

  private drawNoise(c: DrawContext): void {
    const lines: LineSpec[] = [];
    const series: Column[] = [];
    const batch = c.run?.info.settings?.episodesPerUpdate ?? null;
    if (c.run) {
      lines.push({ label: "noise scale", color: runColor(c.state, c.run, c.theme), width: 2 });
      series.push(this.averaged(c, c.run));
      if (batch !== null) {
        lines.push({ label: "episodes per update", color: c.theme.foreground, width: 1.5, dash: [6, 3] });
        series.push(c.b.x.map(() => batch));
      }
    }
    for (const r of c.overlays) {
      lines.push({ label: runLabel(c.state, r), color: runColor(c.state, r, c.theme), width: 1.25 });
      series.push(this.averaged(c, r));
    }
    this.charts.noise.draw({ lines }, c.b.x, series, c.theme, c.updates);
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
    const u = c.run?.cols.update ?? [];
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
    this.charts.policy.draw({ lines, bands }, c.b.x, series, c.theme, c.updates);
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
    const u = c.run?.cols.update ?? [];
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
    this.charts.terms.draw({ lines }, c.b.x, series, c.theme, c.updates);
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
  overlays: RunData[];
  b: Buckets;
  updates: number;
}
