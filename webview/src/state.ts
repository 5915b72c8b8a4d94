/**
 * What the dashboard holds: the runs it has seen, stored as columns (one array per plotted
 * quantity, so a chart reads them without copying and `setState` stays compact), and the
 * choices a person made in the page. Pure data and pure updates, no DOM.
 */
import type { DashboardRunInfo, EndReason, PolicySnapshot, UpdateMetrics } from "../../server/src/protocol";

export type Column = Array<number | null>;

export type PolicyColumns =
  /** probs[p * actions + a][i]: probability of action a at probe state p after update i. */
  | { kind: "discrete"; probeStates: number; actions: number; probs: Column[] }
  /** mean[p * dims + d][i], std[d][i]. */
  | { kind: "box"; probeStates: number; dims: number; mean: Column[]; std: Column[] };

export interface RunColumns {
  update: number[];
  episodes: number[];
  seconds: number[];
  envSteps: number[];
  returnMean: number[];
  returnMin: number[];
  returnMax: number[];
  meanReturn100: number[];
  episodeLength: number[];
  entropy: number[];
  snr: Column;
  noiseScale: Column;
  baselineReduction: Column;
  /** ‖∇J‖ as estimated by the update's gradient statistics: √gradNormSq. */
  gradNorm: Column;
  /** With a value baseline: 1 − Var(G − V)/Var(G) at each update (null where not reported). */
  explainedVariance: Column;
  /** Per named reward term, its share of traceCov at each update (null before the term appeared). */
  termShares: Record<string, Column>;
  /** Names of the reward's terms, when it has named terms (whether or not shares are reported). */
  termNames: string[];
  policy: PolicyColumns | null;
}

export interface RunData {
  info: DashboardRunInfo;
  cols: RunColumns;
  episodeBudget: number | null;
  ended: { reason: EndReason; message?: string } | null;
}

/** What the charts' x axis counts. */
export type XAxis = "update" | "episodes" | "envSteps" | "seconds";

export const X_AXES: Record<XAxis, { label: string; column: (c: RunColumns) => number[] }> = {
  update: { label: "update", column: (c) => c.update },
  episodes: { label: "episodes", column: (c) => c.episodes },
  envSteps: { label: "environment steps", column: (c) => c.envSteps },
  seconds: { label: "wall time (s)", column: (c) => c.seconds },
};

export interface ViewState {
  version: 1;
  runs: RunData[];
  selectedRunId: string | null;
  /** Other runs of the same file drawn on top of the selected one. */
  compareRunIds: string[];
  /** Smoothing weight w in [0, 0.99]: an exponential moving average over updates (w per update), whatever is drawn. */
  smoothing: number;
  xAxis: XAxis;
  /** Runs trained together over several seeds are drawn as one line (the mean) with a band (± one standard deviation). */
  groupSeeds: boolean;
  probeState: number;
  playbackMode: "greedy" | "sampled";
  playbackSpeed: number;
  autoRefresh: boolean;
  lastStatus: string | null;
}

export function emptyState(): ViewState {
  return {
    version: 1,
    runs: [],
    selectedRunId: null,
    compareRunIds: [],
    smoothing: 0.6,
    xAxis: "update",
    groupSeeds: true,
    probeState: 0,
    playbackMode: "greedy",
    playbackSpeed: 1,
    autoRefresh: true,
    lastStatus: null,
  };
}

export function emptyColumns(): RunColumns {
  return {
    update: [],
    episodes: [],
    seconds: [],
    envSteps: [],
    returnMean: [],
    returnMin: [],
    returnMax: [],
    meanReturn100: [],
    episodeLength: [],
    entropy: [],
    snr: [],
    noiseScale: [],
    baselineReduction: [],
    gradNorm: [],
    explainedVariance: [],
    termShares: {},
    termNames: [],
    policy: null,
  };
}

/** Append one update's metrics; an update not after the last one is ignored (replays). */
export function appendMetrics(cols: RunColumns, m: UpdateMetrics): boolean {
  const last = cols.update.at(-1);
  if (last !== undefined && m.update <= last) return false;
  const i = cols.update.length;
  cols.update.push(m.update);
  cols.episodes.push(m.episodes);
  cols.seconds.push(m.seconds);
  cols.envSteps.push(m.envSteps);
  cols.returnMean.push(m.returnMean);
  cols.returnMin.push(m.returnMin);
  cols.returnMax.push(m.returnMax);
  cols.meanReturn100.push(m.meanReturn100);
  cols.episodeLength.push(m.episodeLengthMean);
  cols.entropy.push(m.policyEntropy);
  cols.snr.push(m.gradient.snr);
  // The noise scale averaged over updates before the ratio (older runs: each update's own ratio).
  cols.noiseScale.push(m.noiseScaleAveraged !== undefined ? m.noiseScaleAveraged : m.gradient.noiseScale);
  cols.baselineReduction.push(m.gradient.baselineReduction);
  cols.gradNorm.push(Number.isFinite(m.gradient.gradNormSq) ? Math.sqrt(Math.max(0, m.gradient.gradNormSq)) : null);
  cols.explainedVariance.push(m.explainedVariance ?? null);
  for (const name of Object.keys(m.rewardTerms ?? {})) if (!cols.termNames.includes(name)) cols.termNames.push(name);
  const shares = m.rewardTermVarianceShares ?? {};
  for (const name of Object.keys(shares)) cols.termShares[name] ??= new Array<number | null>(i).fill(null);
  for (const [name, column] of Object.entries(cols.termShares)) column.push(shares[name] ?? null);
  appendPolicy(cols, i, m.policy);
  return true;
}

function appendPolicy(cols: RunColumns, i: number, snapshot: PolicySnapshot | undefined): void {
  if (snapshot && !cols.policy) cols.policy = policyColumnsFor(snapshot, i);
  const p = cols.policy;
  if (!p) return;
  if (p.kind === "discrete") {
    const probs = snapshot?.kind === "discrete" ? snapshot.actionProbs : null;
    p.probs.forEach((column, k) => column.push(probs?.[Math.floor(k / p.actions)]?.[k % p.actions] ?? null));
  } else {
    const box = snapshot?.kind === "box" ? snapshot : null;
    p.mean.forEach((column, k) => column.push(box?.mean[Math.floor(k / p.dims)]?.[k % p.dims] ?? null));
    p.std.forEach((column, d) => column.push(box?.std[d] ?? null));
  }
}

function policyColumnsFor(s: PolicySnapshot, before: number): PolicyColumns {
  const padded = () => new Array<number | null>(before).fill(null);
  const probes = Math.max(1, s.probeStates);
  if (s.kind === "discrete") {
    const actions = s.actionProbs[0]?.length ?? 0;
    return { kind: "discrete", probeStates: probes, actions, probs: Array.from({ length: probes * actions }, padded) };
  }
  const dims = s.std.length;
  return {
    kind: "box",
    probeStates: probes,
    dims,
    mean: Array.from({ length: probes * dims }, padded),
    std: Array.from({ length: dims }, padded),
  };
}

/** Columns saved by an older page lack the newer quantities: those read as missing for the updates already held. */
export function withCurrentColumns(cols: RunColumns): RunColumns {
  const n = cols.update.length;
  const filled = emptyColumns();
  for (const key of Object.keys(filled) as Array<keyof RunColumns>) {
    if (cols[key] === undefined && Array.isArray(filled[key]) && key !== "termNames")
      (filled as unknown as Record<string, Column>)[key] = new Array<number | null>(n).fill(null);
    else (filled as unknown as Record<string, unknown>)[key] = cols[key];
  }
  return filled;
}

export function runFromMetrics(info: DashboardRunInfo, metrics: UpdateMetrics[], reason: EndReason | null): RunData {
  const cols = emptyColumns();
  for (const m of metrics) appendMetrics(cols, m);
  return { info, cols, episodeBudget: metrics.at(-1)?.episodeBudget ?? null, ended: reason ? { reason } : null };
}

/** Insert or replace a run, keeping order of arrival. */
export function upsertRun(state: ViewState, run: RunData): void {
  const at = state.runs.findIndex((r) => r.info.runId === run.info.runId);
  if (at >= 0) state.runs[at] = run;
  else state.runs.push(run);
}

export function findRun(state: ViewState, runId: string | null): RunData | undefined {
  return runId === null ? undefined : state.runs.find((r) => r.info.runId === runId);
}

/** Runs that may be overlaid on `run`: the same file (or, for saved runs, the same environment). */
export function comparableRuns(state: ViewState, run: RunData): RunData[] {
  const own = seedGroup(state, run);
  return state.runs.filter(
    (r) =>
      !own.includes(r) &&
      seedGroup(state, r)[0] === r &&
      (run.info.uri !== null ? r.info.uri === run.info.uri : r.info.environment === run.info.environment),
  );
}

/** Updates per second over the last (up to) 20 updates. */
export function updatesPerSecond(cols: RunColumns): number | null {
  const n = cols.update.length;
  if (n < 2) return null;
  const from = Math.max(0, n - 21);
  const dt = cols.seconds[n - 1] - cols.seconds[from];
  return dt > 0 ? (cols.update[n - 1] - cols.update[from]) / dt : null;
}

/** The runs trained together with `run` (its seed group, in order of arrival), or just `run`. */
export function seedGroup(state: ViewState, run: RunData): RunData[] {
  const id = run.info.groupId;
  if (!state.groupSeeds || !id) return [run];
  return state.runs.filter((r) => r.info.groupId === id);
}
