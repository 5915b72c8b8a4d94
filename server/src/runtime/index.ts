/**
 * The `rl-playground` module that environment files import.
 *
 * It mirrors Gymnasium's API: an `Environment` with `reset(seed)` and `step(action)`
 * returning the 5-tuple `[observation, reward, terminated, truncated, info]`, and the
 * spaces `Discrete(n)` and `Box(low, high)`. The engine bundles it into the runner
 * that executes a user's file, so `instanceof` checks see the same classes.
 */
import seedrandom from "seedrandom";

/** A float in [0, 1) from a seeded stream, like `Math.random` but reproducible. */
export type Rng = () => number;

export type Info = Record<string, unknown>;

/** Seeded generator used by environments and by `space.sample(rng)`. */
export function makeRng(seed: number | string): Rng {
  return seedrandom.alea(String(seed));
}

export interface Space<T = unknown> {
  /** Whether `x` is a member of the space (shape, type and bounds). */
  contains(x: unknown): x is T;
  /** A uniformly random member (Gymnasium's semantics for unbounded Box dimensions). */
  sample(rng: Rng): T;
}

/** `{start, start + 1, ..., start + n - 1}`: a categorical choice. */
export class Discrete implements Space<number> {
  constructor(
    readonly n: number,
    readonly start = 0,
  ) {}

  contains(x: unknown): x is number {
    return typeof x === "number" && Number.isInteger(x) && x >= this.start && x < this.start + this.n;
  }

  sample(rng: Rng): number {
    return this.start + Math.floor(rng() * this.n);
  }
}

/** A box in R^d: `low[i] <= x[i] <= high[i]` (in float32); bounds may be ±Infinity. */
export class Box implements Space<number[]> {
  readonly low: number[];
  readonly high: number[];
  readonly shape: [number];

  /** `low`/`high` are arrays, or numbers repeated `size` times. */
  constructor(low: number | ArrayLike<number>, high: number | ArrayLike<number>, size?: number) {
    const d = size ?? (typeof low === "number" ? (typeof high === "number" ? 1 : high.length) : low.length);
    this.low = typeof low === "number" ? new Array<number>(d).fill(low) : Array.from(low);
    this.high = typeof high === "number" ? new Array<number>(d).fill(high) : Array.from(high);
    this.shape = [this.low.length];
  }

  /** Compared in float32, as Gymnasium's (float32 by default) Box does: a value that rounds onto a bound is on it. */
  contains(x: unknown): x is number[] {
    if (!isNumberArray(x) || x.length !== this.low.length) return false;
    for (let i = 0; i < x.length; i++) {
      const v = Math.fround(x[i]);
      if (!(v >= Math.fround(this.low[i])) || !(v <= Math.fround(this.high[i]))) return false;
    }
    return true;
  }

  sample(rng: Rng): number[] {
    return this.low.map((lo, i) => {
      const hi = this.high[i];
      const loFinite = Number.isFinite(lo);
      const hiFinite = Number.isFinite(hi);
      if (loFinite && hiFinite) return lo + rng() * (hi - lo);
      if (loFinite) return lo - Math.log(1 - rng()); // exponential above the lower bound
      if (hiFinite) return hi + Math.log(1 - rng());
      return normal(rng);
    });
  }
}

function isNumberArray(x: unknown): x is ArrayLike<number> {
  return (Array.isArray(x) || ArrayBuffer.isView(x)) && Array.prototype.every.call(x, (v: unknown) => typeof v === "number");
}

/** A standard normal draw (Box–Muller). */
export function normal(rng: Rng): number {
  const u = 1 - rng();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rng());
}

/**
 * Why a space cannot be used, or `undefined` when it is fine. The constructors never
 * throw, so a malformed space becomes a diagnostic instead of a crash.
 */
export function spaceProblem(space: unknown): string | undefined {
  if (space instanceof Discrete) {
    if (!Number.isInteger(space.n) || space.n < 1) return `Discrete(n) needs a whole number n >= 1, got ${space.n}`;
    if (!Number.isInteger(space.start)) return `Discrete start must be a whole number, got ${space.start}`;
    return undefined;
  }
  if (space instanceof Box) {
    if (space.low.length === 0) return "Box needs at least one dimension";
    if (space.low.length !== space.high.length) return `Box low has ${space.low.length} entries but high has ${space.high.length}`;
    for (let i = 0; i < space.low.length; i++) {
      const lo = space.low[i];
      const hi = space.high[i];
      if (typeof lo !== "number" || typeof hi !== "number" || Number.isNaN(lo) || Number.isNaN(hi)) return `Box bound ${i} is not a number`;
      if (lo > hi) return `Box low[${i}] = ${lo} is greater than high[${i}] = ${hi}`;
    }
    return undefined;
  }
  if (space === undefined || space === null) return "the space is missing";
  return 'a space must be a Discrete or a Box from "rl-playground"';
}

/**
 * A Gymnasium-style environment. Subclasses set `observationSpace` and `actionSpace`,
 * call `super.reset(seed)` first in `reset`, and return the 5-tuple from `step`.
 */
export abstract class Environment<Obs = number[], Act = number> {
  abstract observationSpace: Space;
  abstract actionSpace: Space;
  // `declare`: no field of the base class, so a subclass may define these as fields or getters.
  /** Truncation limit: an episode is cut after this many steps (the engine's default is 1000). */
  declare maxEpisodeSteps?: number;
  /** Solved when the mean return over the last 100 episodes reaches this. */
  declare rewardThreshold?: number;
  /** This environment's own generator; `reset(seed)` restarts it. */
  rng: Rng = makeRng(Math.random());

  /**
   * Seeds `this.rng` when a seed is given; subclasses return `[observation, info]`. `options`
   * is Gymnasium's: a plain object of reset options (the engine passes none; Python callers may).
   */
  reset(seed?: number, options?: Record<string, unknown>): [Obs, Info] {
    void options;
    if (seed !== undefined) this.rng = makeRng(seed);
    return undefined as unknown as [Obs, Info];
  }

  abstract step(action: Act): [Obs, number, boolean, boolean, Info];

  /** Optional: draw the current state for the dashboard's episode playback. */
  render?(): Scene | string;

  /** What `render()` returns: "scene" (a `Scene`, the default) or "ansi" (text). */
  declare renderModes?: ("scene" | "ansi")[];

  /** Optional: release what the environment holds. May be called more than once (Gymnasium's contract). */
  close?(): void;
}

/**
 * A picture of the environment's state, in world units: plain JSON the dashboard draws as
 * SVG. `viewBox` is `[x, y, width, height]` with y pointing up (as in physics); shapes are
 * drawn in order; a rect's (x, y) is its lower-left corner; line `width` and text `size` are
 * in world units. Colours are CSS colours or the names "foreground", "accent", "muted",
 * "good", "bad", which follow the editor's theme.
 */
export interface Scene {
  viewBox: [number, number, number, number];
  shapes: Shape[];
}
export type Shape =
  | { type: "rect"; x: number; y: number; width: number; height: number; fill?: string; stroke?: string }
  | { type: "circle"; cx: number; cy: number; r: number; fill?: string; stroke?: string }
  | { type: "line"; x1: number; y1: number; x2: number; y2: number; stroke?: string; width?: number }
  | { type: "text"; x: number; y: number; text: string; size?: number; fill?: string };

/** What the optional `reward` export receives for every transition. */
export interface Transition<Obs = number[], Act = number> {
  observation: Obs;
  action: Act;
  nextObservation: Obs;
  envReward: number;
  terminated: boolean;
  truncated: boolean;
  info: Info;
}

/** A reward: a number, or named terms whose sum is the reward (reported apart). */
export type Reward = number | Record<string, number>;

/** Training settings an environment file may export as `training` (all optional). */
export interface TrainingOptions {
  episodesPerUpdate?: number;
  learningRate?: number;
  gamma?: number;
  baseline?: "none" | "mean" | "value";
  normalizeAdvantages?: boolean;
  entropyCoef?: number;
  policy?: { hidden?: number[]; activation?: "relu" | "tanh" };
  /** The value baseline's network (with `baseline: "value"`). */
  value?: { hidden?: number[]; learningRate?: number; stepsPerUpdate?: number };
  seed?: number;
  maxEpisodes?: number;
}
