/**
 * The dashboard's header: which run is shown and which are overlaid, stop and train again
 * (with a small settings form), the latest numbers of the run, the smoothing slider, and
 * the saved runs.
 */
import {
  EDITABLE_SETTINGS,
  TRAINING_SETTING_RULES,
  type EditableSetting,
  type SavedRun,
  type TrainingSettingsPatch,
} from "../../server/src/protocol";
import { formatElapsed, formatNumber } from "./format";
import { runColor, runLabel } from "./chartsView";
import { lastValue } from "./series";
import { settingProblem } from "./settingsCheck";
import { comparableRuns, findRun, updatesPerSecond, X_AXES, type RunData, type ViewState, type XAxis } from "./state";
import type { Theme } from "./theme";

export interface ControlCallbacks {
  selectRun(runId: string): void;
  toggleCompare(runId: string, on: boolean): void;
  stop(run: RunData): void;
  train(run: RunData, settings: TrainingSettingsPatch | undefined, writeBack: boolean): void;
  /** Train the run's file over this many seeds (0, 1, …) side by side, as one seed group. */
  trainSeeds(run: RunData, seeds: number): void;
  /** Save the run's metrics, one row per update, as CSV. */
  exportCsv(run: RunData): void;
  setSmoothing(weight: number): void;
  setXAxis(axis: XAxis): void;
  setGroupSeeds(on: boolean): void;
  listRuns(): void;
  openRun(runDir: string): void;
}

/** Seeds the header's "Train N seeds" trains (0 … N−1). */
export const SEEDS_PER_GROUP = 5;

const READOUTS: Array<[key: string, label: string]> = [
  ["status", "status"],
  ["backend", "backend"],
  ["update", "update"],
  ["episodes", "episodes"],
  ["meanReturn100", "mean return (last 100)"],
  ["returnMean", "last batch"],
  ["entropy", "entropy"],
  ["updatesPerSecond", "updates/s"],
  ["elapsed", "elapsed"],
];

const SETTING_KINDS: Record<EditableSetting, "number" | "boolean" | "baseline"> = {
  episodesPerUpdate: "number",
  learningRate: "number",
  gamma: "number",
  baseline: "baseline",
  entropyCoef: "number",
  normalizeAdvantages: "boolean",
  seed: "number",
  maxEpisodes: "number",
};

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className?: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (className) e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

export class ControlsView {
  private readonly runSelect = el("select");
  private readonly compareList = el("span", "compare");
  private readonly stopButton = el("button", "", "Stop");
  private readonly trainButton = el("button", "secondary", "Train again");
  private readonly seedsButton = el("button", "secondary", `Train ${SEEDS_PER_GROUP} seeds`);
  private readonly csvButton = el("button", "secondary", "Export CSV");
  private readonly readouts = new Map<string, HTMLElement>();
  private readonly smoothingInput = el("input");
  private readonly smoothingValue = el("span", "readout");
  private readonly xAxisSelect = el("select");
  private readonly groupSeeds = el("input");
  private readonly groupLabel = el("label", "group-seeds");
  private readonly settingsForm = el("form", "settings");
  private readonly settingsDetails = el("details", "section");
  private readonly writeBack = el("input");
  private readonly settingInputs = new Map<EditableSetting, HTMLInputElement | HTMLSelectElement>();
  private readonly settingErrors = new Map<EditableSetting, HTMLElement>();
  private readonly savedList = el("ul", "saved-runs");
  private readonly statusLine = el("p", "status-line");
  private formRunId: string | null = null;
  private current: RunData | undefined;

  constructor(
    root: HTMLElement,
    private readonly callbacks: ControlCallbacks,
  ) {
    const header = el("header", "toolbar");
    this.runSelect.title = "Run shown";
    this.runSelect.dataset.control = "run";
    this.runSelect.addEventListener("change", () => callbacks.selectRun(this.runSelect.value));
    this.stopButton.dataset.action = "stop";
    this.stopButton.addEventListener("click", () => this.current && callbacks.stop(this.current));
    this.trainButton.dataset.action = "train";
    this.trainButton.title = "Train this file again (with the settings below when changed)";
    this.trainButton.addEventListener("click", () => this.trainAgain());
    this.seedsButton.dataset.action = "train-seeds";
    this.seedsButton.title = `Train this file over seeds 0 to ${SEEDS_PER_GROUP - 1} side by side, drawn as their mean with a ± σ band`;
    this.seedsButton.addEventListener("click", () => this.current && callbacks.trainSeeds(this.current, SEEDS_PER_GROUP));
    this.csvButton.dataset.action = "export-csv";
    this.csvButton.title = "Save this run's metrics as CSV, one row per update";
    this.csvButton.addEventListener("click", () => this.current && callbacks.exportCsv(this.current));
    this.smoothingInput.type = "range";
    this.smoothingInput.min = "0";
    this.smoothingInput.max = "0.99";
    this.smoothingInput.step = "0.01";
    this.smoothingInput.dataset.control = "smoothing";
    this.smoothingInput.addEventListener("input", () => callbacks.setSmoothing(Number(this.smoothingInput.value)));
    const smoothingLabel = el("label", "smoothing", "Smoothing ");
    smoothingLabel.append(this.smoothingInput, this.smoothingValue);
    this.xAxisSelect.dataset.control = "x-axis";
    this.xAxisSelect.title = "What the charts' x axis counts";
    this.xAxisSelect.append(...Object.entries(X_AXES).map(([key, a]) => new Option(a.label, key)));
    this.xAxisSelect.addEventListener("change", () => callbacks.setXAxis(this.xAxisSelect.value as XAxis));
    const xAxisLabel = el("label", "x-axis", "x ");
    xAxisLabel.append(this.xAxisSelect);
    this.groupSeeds.type = "checkbox";
    this.groupSeeds.dataset.control = "group-seeds";
    this.groupSeeds.addEventListener("change", () => callbacks.setGroupSeeds(this.groupSeeds.checked));
    const groupLabel = this.groupLabel;
    groupLabel.title = "Runs trained together over several seeds: one line (their mean) with a band (± one standard deviation)";
    groupLabel.append(this.groupSeeds, " seeds as mean ± σ");
    header.append(
      this.runSelect,
      this.compareList,
      this.stopButton,
      this.trainButton,
      this.seedsButton,
      smoothingLabel,
      xAxisLabel,
      groupLabel,
      this.csvButton,
    );

    const stats = el("dl", "readouts");
    for (const [key, label] of READOUTS) {
      const item = el("div");
      const value = el("dd", "", "–");
      value.dataset.readout = key;
      item.append(el("dt", "", label), value);
      stats.append(item);
      this.readouts.set(key, value);
    }
    root.append(header, stats, this.statusLine, this.buildSettings(), this.buildSavedRuns());
  }

  private buildSettings(): HTMLElement {
    const details = this.settingsDetails;
    details.dataset.section = "settings";
    details.append(el("summary", "", "Training settings for “Train again”"));
    for (const key of EDITABLE_SETTINGS) {
      const label = el("label", "", key);
      const kind = SETTING_KINDS[key];
      let input: HTMLInputElement | HTMLSelectElement;
      if (kind === "baseline") {
        input = el("select");
        input.append(new Option("none", "none"), new Option("mean", "mean"), new Option("value", "value"));
      } else {
        input = el("input");
        input.type = kind === "boolean" ? "checkbox" : "number";
        if (kind === "number") input.step = "any";
      }
      input.name = key;
      const error = el("span", "field-error");
      error.dataset.error = key;
      error.id = `error-${key}`;
      error.hidden = true;
      input.setAttribute("aria-describedby", error.id);
      input.addEventListener("input", () => this.current && this.formValue(this.current, key));
      const field = el("div", "field");
      label.append(input);
      field.append(label, error);
      this.settingsForm.append(field);
      this.settingInputs.set(key, input);
      this.settingErrors.set(key, error);
    }
    this.writeBack.type = "checkbox";
    this.writeBack.name = "writeBack";
    const wb = el("label", "write-back");
    wb.append(this.writeBack, " also save them to the file's training export");
    this.settingsForm.append(wb);
    this.settingsForm.addEventListener("submit", (e) => {
      e.preventDefault();
      this.trainAgain();
    });
    details.append(this.settingsForm);
    return details;
  }

  private buildSavedRuns(): HTMLElement {
    const details = el("details", "section");
    details.dataset.section = "saved";
    details.append(el("summary", "", "Saved runs"));
    const refresh = el("button", "secondary", "Refresh");
    refresh.dataset.action = "list-runs";
    refresh.addEventListener("click", () => this.callbacks.listRuns());
    details.addEventListener("toggle", () => details.open && this.callbacks.listRuns());
    details.append(refresh, this.savedList);
    return details;
  }

  /**
   * The field's value when the engine would accept it, shown as an error beside the field
   * when it would not; `undefined` for a number field left empty on a run without settings
   * (nothing to change).
   */
  private formValue(run: RunData, key: EditableSetting): { ok: true; value: number | boolean | string | undefined } | { ok: false } {
    const input = this.settingInputs.get(key) as HTMLInputElement | HTMLSelectElement;
    const kind = SETTING_KINDS[key];
    let value: number | boolean | string | undefined;
    let problem: string | null = null;
    if (kind === "boolean") value = (input as HTMLInputElement).checked;
    else if (kind === "baseline") value = input.value;
    else if (input instanceof HTMLInputElement && input.validity.badInput) problem = "is not a number";
    else if (input.value.trim() === "") {
      if (run.info.settings !== null) problem = "is empty";
    } else value = Number(input.value);
    if (problem !== null) problem = `${problem}; it must be ${TRAINING_SETTING_RULES[key].expected}`;
    else if (value !== undefined) problem = settingProblem(key, value);
    if (problem !== null) problem = `${key} ${problem}`;
    const error = this.settingErrors.get(key) as HTMLElement;
    error.textContent = problem ?? "";
    error.hidden = problem === null;
    input.setAttribute("aria-invalid", String(problem !== null));
    return problem === null ? { ok: true, value } : { ok: false };
  }

  /** Settings in the form that differ from the run's (undefined when none does), or null when a field holds a value the engine would reject. */
  private changedSettings(run: RunData): TrainingSettingsPatch | undefined | null {
    const base = run.info.settings;
    const changed: Record<string, number | boolean | string> = {};
    let firstBad: EditableSetting | null = null;
    for (const key of this.settingInputs.keys()) {
      const read = this.formValue(run, key);
      if (!read.ok) {
        firstBad ??= key;
        continue;
      }
      if (read.value !== undefined && (!base || base[key] !== read.value)) changed[key] = read.value;
    }
    if (firstBad !== null) {
      this.settingsDetails.open = true;
      this.settingInputs.get(firstBad)?.focus();
      return null;
    }
    return Object.keys(changed).length > 0 ? (changed as TrainingSettingsPatch) : undefined;
  }

  private trainAgain(): void {
    const run = this.current;
    if (!run || run.info.uri === null) return;
    const settings = this.changedSettings(run);
    // A value the engine would reject is neither written into the file nor trained with: the field says why.
    if (settings === null) return;
    this.callbacks.train(run, settings, settings !== undefined && this.writeBack.checked);
  }

  showSavedRuns(runs: SavedRun[]): void {
    if (runs.length === 0) {
      this.savedList.replaceChildren(el("li", "hint", "No run folders (.rl-playground/runs/*) or sweeps in this workspace yet."));
      return;
    }
    this.savedList.replaceChildren(
      ...runs.map((r) => {
        const li = el("li");
        const open = el("button", "link", r.runDir.split(/[\\/]/).pop() ?? r.runDir);
        open.title = r.runDir;
        open.dataset.runDir = r.runDir;
        open.addEventListener("click", () => this.callbacks.openRun(r.runDir));
        const when = new Date(r.savedAt).toLocaleString();
        const what = r.sweep
          ? `sweep of ${r.sweep.trials} runs over ${r.sweep.points} grid points · ${r.sweep.solved}/${r.sweep.trials} solved`
          : `${r.episodes} episodes · mean return ${formatNumber(r.meanReturn100)} · ${r.solved ? "solved" : r.reason}`;
        li.append(open, el("span", "readout", ` ${r.environment} · ${what} · ${when}`));
        return li;
      }),
    );
  }

  draw(state: ViewState, theme: Theme): void {
    const run = findRun(state, state.selectedRunId);
    this.current = run;
    this.syncRunSelect(state);
    this.syncCompare(state, run, theme);
    const live = run !== undefined && run.info.source === "live" && run.ended === null;
    this.stopButton.disabled = !live;
    this.trainButton.disabled = !run || run.info.uri === null;
    this.seedsButton.disabled = this.trainButton.disabled;
    this.csvButton.disabled = !run || run.cols.update.length === 0;
    this.smoothingInput.value = String(state.smoothing);
    this.smoothingValue.textContent = state.smoothing.toFixed(2);
    this.xAxisSelect.value = state.xAxis;
    this.groupSeeds.checked = state.groupSeeds;
    this.groupLabel.hidden = !state.runs.some((r) => r.info.groupId);
    const idle = state.runs.length === 0 ? "No run yet: “RL: Train Policy” on an environment file (*.rl.ts) draws its curves here." : null;
    this.statusLine.textContent = state.lastStatus ?? idle ?? "";
    this.statusLine.hidden = this.statusLine.textContent === "";
    this.fillReadouts(run, live);
    if (run && run.info.runId !== this.formRunId) this.fillForm(run);
  }

  private fillReadouts(run: RunData | undefined, live: boolean): void {
    const c = run?.cols;
    const n = c?.update.length ?? 0;
    const at = <T>(col: T[] | undefined) => (col && n > 0 ? col[n - 1] : undefined);
    const budget = run?.episodeBudget;
    const episodes = at(c?.episodes);
    const rate = c ? updatesPerSecond(c) : null;
    const seconds = at(c?.seconds);
    const values: Record<string, string> = {
      status: !run ? "no run yet" : live ? "training" : run.ended ? run.ended.reason : "finished",
      backend: run?.info.backend ?? "–",
      update: n > 0 ? String(at(c?.update)) : "–",
      episodes: episodes === undefined ? "–" : budget ? `${episodes} / ${budget}` : String(episodes),
      meanReturn100: formatNumber(at(c?.meanReturn100) ?? null),
      returnMean: formatNumber(at(c?.returnMean) ?? null),
      entropy: formatNumber(c ? lastValue(c.entropy) : null),
      updatesPerSecond: rate === null ? "–" : rate.toFixed(1),
      elapsed: seconds === undefined ? "–" : formatElapsed(seconds),
    };
    for (const [key, text] of Object.entries(values)) {
      const target = this.readouts.get(key);
      if (target && target.textContent !== text) target.textContent = text;
    }
  }

  private fillForm(run: RunData): void {
    this.formRunId = run.info.runId;
    const s = run.info.settings;
    for (const [key, input] of this.settingInputs) {
      const value = s?.[key];
      if (input instanceof HTMLInputElement && input.type === "checkbox") input.checked = value === true;
      else input.value = value === undefined ? "" : String(value);
      input.removeAttribute("aria-invalid");
      const error = this.settingErrors.get(key);
      if (error) error.hidden = true;
    }
  }

  private syncRunSelect(state: ViewState): void {
    const options = state.runs.map((r) => [r.info.runId, runLabel(state, r)] as const);
    const same =
      options.length === this.runSelect.options.length &&
      options.every(([id, label], i) => {
        const o = this.runSelect.options[i];
        return o.value === id && o.text === label;
      });
    if (!same) {
      this.runSelect.replaceChildren(...options.map(([id, label]) => new Option(label, id)));
    }
    this.runSelect.disabled = options.length === 0;
    if (state.selectedRunId !== null) this.runSelect.value = state.selectedRunId;
  }

  private syncCompare(state: ViewState, run: RunData | undefined, theme: Theme): void {
    const others = run ? comparableRuns(state, run) : [];
    const key = JSON.stringify([others.map((r) => [r.info.runId, runLabel(state, r)]), state.compareRunIds, theme.palette]);
    if (this.compareList.dataset.key === key) return;
    this.compareList.dataset.key = key;
    if (others.length === 0) {
      this.compareList.replaceChildren();
      return;
    }
    this.compareList.replaceChildren(
      el("span", "muted", "Compare:"),
      ...others.map((r) => {
        const label = el("label", "swatch");
        const box = el("input");
        box.type = "checkbox";
        box.checked = state.compareRunIds.includes(r.info.runId);
        box.dataset.compare = r.info.runId;
        box.addEventListener("change", () => this.callbacks.toggleCompare(r.info.runId, box.checked));
        const chip = el("span", "chip");
        chip.style.backgroundColor = runColor(state, r, theme);
        label.append(box, chip, runLabel(state, r));
        return label;
      }),
    );
  }
}
