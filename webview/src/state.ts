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

export interface ViewState {
  version: 1;
  runs: RunData[];
  selectedRunId: string | null;
  /** Other runs of the same file drawn on top of the selected one. */
  compareRunIds: string[];
  /** TensorBoard's smoothing weight w in [0, 0.99]. */
  smoothing: number;
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
  return state.runs.filter(
    (r) => r !== run && (run.info.uri !== null ? r.info.uri === run.info.uri : r.info.environment === run.info.environment),
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
