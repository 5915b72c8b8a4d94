/**
 * The training dashboard page. Messages from the extension are validated (a malformed one
 * is dropped and reported), applied to the view state, and drawn at most once per
 * animation frame; the state is kept with `setState` so it survives hide/show and reloads.
 */
import "uplot/dist/uPlot.min.css";
import "./styles.css";
import * as v from "valibot";
import type { FromWebviewMessage, ToWebviewMessage } from "../../server/src/protocol";
import { ChartsView, runLabel } from "./chartsView";
import { ControlsView } from "./controls";
import { ToWebviewMessageSchema, validate } from "../../server/src/protocol";
import { fileStem, metricsCsv } from "./export";
import { PlaybackView } from "./playback";
import { appendMetrics, emptyColumns, emptyState, findRun, runFromMetrics, upsertRun, withCurrentColumns, type ViewState } from "./state";
import { readTheme, watchTheme } from "./theme";

/** While a run trains, a new episode is played back this often (when the option is on). */
const PLAYBACK_REFRESH_MS = 5000;
/** `setState` serialises every column (tens of ms at 10k updates): at most this often while data streams in. */
const SAVE_EVERY_MS = 5000;

const vscode = acquireVsCodeApi<ViewState>();
const post = (message: FromWebviewMessage) => vscode.postMessage(message);

/** Enough of a saved state's shape to trust it; anything else starts afresh. */
const savedStateShape = v.looseObject({ version: v.literal(1), runs: v.array(v.looseObject({ info: v.looseObject({}) })) });

function restoreState(): ViewState {
  const saved = vscode.getState();
  if (saved === undefined || !v.is(savedStateShape, saved)) return emptyState();
  const state: ViewState = { ...emptyState(), ...saved };
  for (const r of state.runs) r.cols = withCurrentColumns(r.cols);
  // A run that was training when the page went away is marked as such until the extension replays it.
  for (const r of state.runs) if (r.info.source === "live" && r.ended === null) r.ended = { reason: "stopped", message: "interrupted" };
  return state;
}

const state = restoreState();
/**
 * A page opened afresh (nothing selected) shows the newest run the extension replays, not the
 * oldest; a page that restored a selection keeps it. Until the user picks a run themselves.
 */
let followReplay = state.selectedRunId === null;
let theme = readTheme();
let drawPending = false;
let saveTimer: ReturnType<typeof setTimeout> | undefined;
let messageMs = 0;
let playbackRequest = 0;

const app = document.getElementById("app") ?? document.body;
const controls = new ControlsView(app, {
  selectRun(runId) {
    followReplay = false;
    state.selectedRunId = runId;
    changed();
    requestPlayback();
  },
  toggleCompare(runId, on) {
    state.compareRunIds = on ? [...state.compareRunIds, runId] : state.compareRunIds.filter((id) => id !== runId);
    changed();
  },
  stop: (run) => post({ type: "stop", runId: run.info.runId }),
  train(run, settings, writeBack) {
    if (run.info.uri !== null) post({ type: "train", uri: run.info.uri, settings, writeBack });
  },
  trainSeeds(run, seeds) {
    if (run.info.uri !== null) post({ type: "trainSeeds", uri: run.info.uri, seeds });
  },
  exportCsv(run) {
    post({ type: "export", format: "csv", name: `${fileStem(runLabel(state, run))}-metrics.csv`, data: metricsCsv(run.cols) });
  },
  setSmoothing(weight) {
    state.smoothing = weight;
    changed();
  },
  setXAxis(axis) {
    state.xAxis = axis;
    changed();
  },
  setGroupSeeds(on) {
    state.groupSeeds = on;
    changed();
  },
  listRuns: () => post({ type: "listRuns" }),
  openRun: (runDir) => post({ type: "openRun", runDir }),
});
const charts = new ChartsView(
  app,
  (probe) => {
    state.probeState = probe;
    changed();
  },
  (file) => {
    const run = findRun(state, state.selectedRunId);
    const name = run ? `${fileStem(run.info.environment)}-${file.name}` : file.name;
    post({ type: "export", format: file.format, name, data: file.data });
  },
);
const playback = new PlaybackView(app, {
  request: () => requestPlayback(),
  setMode(mode) {
    state.playbackMode = mode;
    changed();
  },
  setSpeed(speed) {
    state.playbackSpeed = speed;
    changed();
  },
  setAutoRefresh(on) {
    state.autoRefresh = on;
    changed();
  },
});
playback.setChoices(state.playbackMode, state.playbackSpeed, state.autoRefresh);

function requestPlayback(): void {
  const run = findRun(state, state.selectedRunId);
  if (!run) return;
  if (run.info.uri === null) {
    playback.showMessage("Playback needs the environment file; this saved run does not name it.");
    return;
  }
  playbackRequest++;
  const saved = run.info.source === "saved" && run.info.runDir !== null ? { runDir: run.info.runDir } : {};
  post({ type: "playback", requestId: playbackRequest, uri: run.info.uri, runId: run.info.runId, mode: state.playbackMode, ...saved });
}

function apply(message: ToWebviewMessage): void {
  switch (message.type) {
    case "runStarted": {
      upsertRun(state, { info: message.run, cols: emptyColumns(), episodeBudget: message.run.settings?.maxEpisodes ?? null, ended: null });
      state.selectedRunId = message.run.runId;
      return;
    }
    case "progress": {
      const run = findRun(state, message.runId);
      if (!run) return report(`progress for an unknown run ${message.runId}`);
      for (const m of message.metrics) appendMetrics(run.cols, m);
      const last = message.metrics.at(-1);
      if (last) run.episodeBudget = last.episodeBudget;
      return;
    }
    case "runEnded": {
      const run = findRun(state, message.runId);
      if (!run) return;
      run.ended = { reason: message.reason, message: message.message };
      if (message.runDir) run.info = { ...run.info, runDir: message.runDir };
      save();
      return;
    }
    case "status": {
      state.lastStatus = message.message;
      // The backend is chosen after the run starts; the status line names it.
      const backend = message.backend;
      if (backend) for (const r of state.runs) if (r.ended === null && r.info.backend === null) r.info = { ...r.info, backend };
      return;
    }
    case "runLoaded": {
      upsertRun(state, runFromMetrics(message.run, message.metrics, message.reason));
      if (message.run.source === "saved" || state.selectedRunId === null || followReplay) state.selectedRunId = message.run.runId;
      if (message.run.source === "saved") followReplay = false;
      return;
    }
    case "savedRuns":
      controls.showSavedRuns(message.runs);
      return;
    case "playback":
      if (message.requestId === playbackRequest) playback.load(message.result, true);
      return;
  }
}

function report(problem: string): void {
  console.warn(`RL dashboard: ${problem}`);
  post({ type: "log", message: problem });
}

function receive(data: unknown): void {
  const start = performance.now();
  const checked = validate(ToWebviewMessageSchema, data);
  if (!checked.ok) return report(`dropped a malformed message (${checked.error})`);
  try {
    apply(checked.value);
  } catch (err) {
    report(`could not apply a ${checked.value.type} message: ${err instanceof Error ? err.message : String(err)}`);
  }
  messageMs += performance.now() - start;
  changed();
}

function changed(): void {
  if (!saveTimer) saveTimer = setTimeout(save, SAVE_EVERY_MS);
  if (drawPending) return;
  drawPending = true;
  requestAnimationFrame(draw);
}

function save(): void {
  if (saveTimer) clearTimeout(saveTimer);
  saveTimer = undefined;
  vscode.setState(state);
}

/** One frame: controls and charts. The time it took (and the messages' before it) is a User Timing measure the benchmark reads. */
function draw(): void {
  drawPending = false;
  const start = performance.now();
  controls.draw(state, theme);
  charts.draw(state, theme);
  const spentOnMessages = messageMs;
  messageMs = 0;
  // uPlot paints in a microtask queued by setData; this one runs after those paints.
  queueMicrotask(() => {
    if (performance.getEntriesByName("rl-dashboard:frame").length > 5000) performance.clearMeasures("rl-dashboard:frame");
    performance.measure("rl-dashboard:frame", { start, end: performance.now(), detail: { messageMs: spentOnMessages } });
  });
}

watchTheme(() => {
  theme = readTheme();
  changed();
});
window.addEventListener("message", (event: MessageEvent<unknown>) => receive(event.data));
document.addEventListener("visibilitychange", () => document.visibilityState === "hidden" && save());
window.addEventListener("pagehide", save);
setInterval(() => {
  const run = findRun(state, state.selectedRunId);
  const training = run !== undefined && run.info.source === "live" && run.ended === null && run.cols.update.length > 0;
  if (training && state.autoRefresh && playback.root.open && (!playback.isPlaying || playback.atEnd)) requestPlayback();
}, PLAYBACK_REFRESH_MS);

changed();
post({ type: "ready" });
