/**
 * Episode playback: one episode of the current policy, as the frames the environment's
 * `render()` drew, with play/pause, step, a frame slider and a speed control.
 */
import type { PlaybackEnding, PlaybackResult, Scene } from "../../server/src/protocol";
import { createSceneSvg, drawScene } from "./scene";

/** Frames per second at 1× speed. */
const BASE_FPS = 20;
const SPEEDS = [0.25, 0.5, 1, 2, 4];

export interface PlaybackCallbacks {
  /** Ask the extension for a new episode. */
  request(): void;
  setMode(mode: "greedy" | "sampled"): void;
  setSpeed(speed: number): void;
  setAutoRefresh(on: boolean): void;
}

/** Icons as SVG paths in a 16×16 box: fonts in a webview may lack the media-control glyphs. */
const ICONS = {
  play: "M4 2.5 L13.5 8 L4 13.5 Z",
  pause: "M3.5 2.5 h3 v11 h-3 Z M9.5 2.5 h3 v11 h-3 Z",
  previous: "M3 2.5 h2 v11 h-2 Z M13.5 2.5 L6 8 L13.5 13.5 Z",
  next: "M11 2.5 h2 v11 h-2 Z M2.5 2.5 L10 8 L2.5 13.5 Z",
};

function icon(name: keyof typeof ICONS): SVGSVGElement {
  const svg = document.createElementNS("http://www.w3.org/2000/svg", "svg");
  svg.setAttribute("viewBox", "0 0 16 16");
  svg.setAttribute("class", "icon");
  const path = document.createElementNS("http://www.w3.org/2000/svg", "path");
  path.setAttribute("d", ICONS[name]);
  svg.append(path);
  return svg;
}

function button(label: string | SVGSVGElement, title: string, onClick: () => void): HTMLButtonElement {
  const b = document.createElement("button");
  b.append(label);
  b.title = title;
  b.setAttribute("aria-label", title);
  b.addEventListener("click", onClick);
  return b;
}

export class PlaybackView {
  readonly root: HTMLDetailsElement;
  private readonly svg = createSceneSvg();
  private readonly playButton: HTMLButtonElement;
  private readonly slider = document.createElement("input");
  private readonly info = document.createElement("span");
  private readonly message = document.createElement("p");
  private readonly speedSelect = document.createElement("select");
  private readonly modeSelect = document.createElement("select");
  private readonly autoRefresh = document.createElement("input");
  private readonly stage = document.createElement("div");
  private frames: Scene[] = [];
  private rewards: number[] = [];
  private episodeReturn = 0;
  private ending: PlaybackEnding | undefined;
  private frame = 0;
  private timer: ReturnType<typeof setInterval> | undefined;
  private speed = 1;

  constructor(
    parent: HTMLElement,
    private readonly callbacks: PlaybackCallbacks,
  ) {
    this.root = document.createElement("details");
    this.root.open = true;
    this.root.className = "section";
    this.root.dataset.section = "playback";
    const summary = document.createElement("summary");
    summary.textContent = "Episode playback";
    const bar = document.createElement("div");
    bar.className = "toolbar";
    this.playButton = button(icon("play"), "Play", () => this.togglePlay());
    this.playButton.dataset.action = "play";
    const back = button(icon("previous"), "Previous frame", () => this.step(-1));
    const forward = button(icon("next"), "Next frame", () => this.step(1));
    forward.dataset.action = "step";
    const refresh = button("New episode", "Play a new episode of the current policy", () => callbacks.request());
    refresh.dataset.action = "new-episode";
    this.slider.type = "range";
    this.slider.min = "0";
    this.slider.value = "0";
    this.slider.setAttribute("aria-label", "Frame");
    this.slider.addEventListener("input", () => this.show(Number(this.slider.value)));
    this.speedSelect.append(...SPEEDS.map((s) => new Option(`${s}×`, String(s))));
    this.speedSelect.title = "Playback speed";
    this.speedSelect.addEventListener("change", () => {
      this.setSpeed(Number(this.speedSelect.value));
      callbacks.setSpeed(this.speed);
    });
    this.modeSelect.append(new Option("greedy", "greedy"), new Option("sampled", "sampled"));
    this.modeSelect.title = "Greedy: the most likely action; sampled: actions drawn from the policy";
    this.modeSelect.addEventListener("change", () => {
      callbacks.setMode(this.modeSelect.value === "sampled" ? "sampled" : "greedy");
      callbacks.request();
    });
    const autoLabel = document.createElement("label");
    this.autoRefresh.type = "checkbox";
    this.autoRefresh.addEventListener("change", () => callbacks.setAutoRefresh(this.autoRefresh.checked));
    autoLabel.append(this.autoRefresh, " refresh every few seconds while training");
    this.info.className = "readout";
    this.info.dataset.playbackInfo = "";
    bar.append(this.playButton, back, forward, this.slider, this.speedSelect, this.modeSelect, refresh, autoLabel, this.info);
    this.message.className = "hint";
    this.message.dataset.hint = "playback";
    this.showMessage("Press “New episode” to watch an episode of the current policy.");
    this.stage.className = "stage";
    this.stage.hidden = true;
    this.stage.append(this.svg);
    const body = document.createElement("div");
    body.className = "section-body";
    body.append(bar, this.message, this.stage);
    this.root.append(summary, body);
    parent.append(this.root);
  }

  /** Reflect the saved choices in the controls. */
  setChoices(mode: "greedy" | "sampled", speed: number, autoRefresh: boolean): void {
    this.modeSelect.value = mode;
    this.setSpeed(speed);
    this.autoRefresh.checked = autoRefresh;
  }

  get isPlaying(): boolean {
    return this.timer !== undefined;
  }

  get atEnd(): boolean {
    return this.frames.length === 0 || this.frame >= this.frames.length - 1;
  }

  load(result: PlaybackResult, autoplay: boolean): void {
    this.pause();
    if (!result.ok) {
      this.frames = [];
      this.showMessage(messageFor(result));
      this.stage.hidden = true;
      this.info.textContent = "";
      return;
    }
    this.frames = result.frames;
    this.rewards = result.rewards;
    this.episodeReturn = result.episodeReturn;
    this.ending = result.ending;
    this.message.hidden = true;
    this.stage.hidden = false;
    this.slider.max = String(Math.max(0, this.frames.length - 1));
    this.show(0);
    if (autoplay && this.frames.length > 1) this.play();
  }

  /** A one-line note instead of frames (no render(), no policy yet, no file). */
  showMessage(text: string): void {
    this.message.textContent = text;
    this.message.hidden = false;
  }

  private setSpeed(speed: number): void {
    this.speed = SPEEDS.includes(speed) ? speed : 1;
    this.speedSelect.value = String(this.speed);
    if (this.isPlaying) {
      this.pause();
      this.play();
    }
  }

  private togglePlay(): void {
    if (this.isPlaying) this.pause();
    else {
      if (this.atEnd) this.show(0);
      this.play();
    }
  }

  private play(): void {
    if (this.frames.length === 0) return;
    this.timer = setInterval(
      () => {
        if (this.atEnd) this.pause();
        else this.show(this.frame + 1);
      },
      1000 / (BASE_FPS * this.speed),
    );
    this.playButton.replaceChildren(icon("pause"));
    this.playButton.title = "Pause";
    this.playButton.setAttribute("aria-label", "Pause");
  }

  private pause(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
    this.playButton.replaceChildren(icon("play"));
    this.playButton.title = "Play";
    this.playButton.setAttribute("aria-label", "Play");
  }

  private step(delta: number): void {
    this.pause();
    this.show(this.frame + delta);
  }

  private show(frame: number): void {
    if (this.frames.length === 0) return;
    this.frame = Math.max(0, Math.min(this.frames.length - 1, frame));
    drawScene(this.svg, this.frames[this.frame]);
    this.slider.value = String(this.frame);
    // Frame 0 is the reset; frame k follows step k and has earned the first k rewards.
    const steps = this.frames.length - 1;
    const soFar = this.rewards.slice(0, this.frame).reduce((a, r) => a + r, 0);
    const parts = [
      this.frame === 0 ? `reset · step 0 / ${steps}` : `step ${this.frame} / ${steps}`,
      `return ${formatReturn(soFar)} of ${formatReturn(this.episodeReturn)}`,
    ];
    if (this.frame === steps && this.ending) parts.push(endingText(this.ending));
    this.info.textContent = parts.join(" · ");
    this.stage.dataset.frame = String(this.frame);
  }
}

function messageFor(result: Extract<PlaybackResult, { ok: false }>): string {
  switch (result.reason) {
    case "no-render":
      return "This environment has no render(): add `render(): Scene` returning { viewBox, shapes } to the class to watch episodes here.";
    case "no-policy":
      return "No policy to play yet: train the environment first.";
    case "error":
      return `Playback failed: ${result.message}`;
  }
}

/** Whole returns (CartPole's 500) read as whole numbers; fractional ones keep two decimals. */
function formatReturn(r: number): string {
  return Number.isInteger(r) ? String(r) : r.toFixed(2);
}

function endingText(ending: PlaybackEnding): string {
  switch (ending.kind) {
    case "terminated":
      return "terminated";
    case "truncated":
      return ending.by === "maxEpisodeSteps" ? `truncated at maxEpisodeSteps (${ending.maxEpisodeSteps})` : "truncated by the environment";
    case "cut":
      return `still running: playback shows the first ${ending.steps} steps`;
  }
}
