/**
 * The checks of Gymnasium's and Stable-Baselines3's env checkers that the probe's other
 * checks do not already make (the README's parity table lists them all):
 *
 *  - reset(seed=123), reset(), reset(seed=123) give equal first observations (compared as
 *    copies: an environment that reuses one observation array must not pass by comparing the
 *    array with itself);
 *  - reset(seed, options) is accepted;
 *  - close() may be called twice;
 *  - render() returns what `renderModes` declares ("scene": a Scene; "ansi": text);
 *  - a Box action space the initial policy cannot explore well (0 outside the bounds, a range
 *    far wider or narrower than its σ of 1). (Infinite action bounds are `invalid-space`.)
 *
 * Each finding names the call (or the space) it is about; `check/rules.ts` places it.
 */
import type { DiagnosticCode } from "../protocol";
import { checkReset, snapshot, writeFeatures, type EnvSpec } from "./envSpec";
import type { CpuTimeBudget } from "./timeBound";
import { UserCodeError, type UserEnvironmentModule } from "./userCode";

export interface ContractFinding {
  code: DiagnosticCode;
  /** Where it belongs: a method, or the action space. */
  at: "reset" | "render" | "close" | "actionSpace";
  message: string;
}

const SEED = 123;
/** Wider than this, the initial N(0, 1) policy covers under 1/10 of the range; narrower than 1/5 of this, nearly every action clips. */
const WIDE_RANGE = 20;
const NARROW_RANGE = 0.2;

export function gymnasiumChecks(user: UserEnvironmentModule, spec: EnvSpec, budget?: CpuTimeBudget): ContractFinding[] {
  const out: ContractFinding[] = [...actionSpaceFindings(spec)];
  if (budget?.exhausted) return out;
  const env = user.create();
  const first = (seed?: number, options?: Record<string, unknown>): number[] =>
    user.guarded("reset", () => {
      const obs = snapshot(checkReset(options === undefined ? env.reset(seed) : env.reset(seed, options)));
      const features = new Float32Array(spec.featureDim);
      writeFeatures(spec, obs, features, 0, "reset");
      return Array.from(features);
    });

  const differ = (x: number[], y: number[]) => x.some((v, k) => !Object.is(v, y[k]));
  // Gymnasium's check_reset_seed_determinism: seeded, unseeded, seeded again, unseeded again.
  const a = first(SEED);
  const afterA = first();
  const b = first(SEED);
  const afterB = first();
  // A default seed (reset(seed = 0)): an unseeded reset after another seed restarts the same stream.
  first(SEED + 1);
  const afterOther = first();
  if (differ(afterA, afterB))
    out.push({
      code: "nondeterministic-reset",
      at: "reset",
      message:
        `reset() without a seed, each time right after reset(seed=${SEED}), gave two different observations: reset() draws from randomness no seed controls (Math.random(), the clock), so episodes are not reproducible. ` +
        "Draw from this.rng(): reset() without a seed continues its stream (Gymnasium's check_env makes the same check).",
    });
  else if (!differ(afterA, afterOther) && differ(first(SEED), first(SEED + 1)))
    out.push({
      code: "nondeterministic-reset",
      at: "reset",
      message:
        "reset() without a seed starts the same episode whatever came before (a default seed, such as reset(seed = 0)): training resets its environments without a seed after their first episode, so every later episode of a copy repeats. " +
        "Leave the seed undefined by default and pass it on: super.reset(seed).",
    });
  if (differ(a, b))
    out.push({
      code: "nondeterministic-reset",
      at: "reset",
      message:
        `reset(seed=${SEED}), then reset() without a seed, then reset(seed=${SEED}) again gave a different first observation, so the seed alone does not decide the start: ` +
        "state kept across episodes survives reset(seed). Set every field of the episode's state in reset() (Gymnasium's check_env makes the same check).",
    });

  try {
    first(SEED, {});
  } catch (error) {
    if (!(error instanceof UserCodeError)) throw error;
    out.push({
      code: "bad-reset",
      at: "reset",
      message: `reset(seed, options) failed with options = {} (Gymnasium's reset takes an options object; Python libraries pass one): ${error.failure.message}. Accept a second parameter: reset(seed?: number, options?: Record<string, unknown>).`,
    });
  }

  const render = (env as { render?: unknown }).render;
  if (typeof render === "function") {
    const finding = user.guarded("render", () => renderFinding(env as unknown as { renderModes?: unknown; render(): unknown }));
    if (finding) out.push(finding);
  }

  if (typeof (env as { close?: unknown }).close === "function") {
    const close = () => user.guarded("close", () => (env as unknown as { close(): void }).close());
    close();
    try {
      close();
    } catch (error) {
      if (!(error instanceof UserCodeError)) throw error;
      out.push({
        code: "bad-close",
        at: "close",
        message: `close() failed when called a second time: ${error.failure.message}. Gymnasium allows close() more than once (wrappers and vector environments do it): make it do nothing when already closed.`,
      });
    }
  }
  return out;
}

function renderFinding(env: { renderModes?: unknown; render(): unknown }): ContractFinding | null {
  const modes = env.renderModes ?? ["scene"];
  if (!Array.isArray(modes) || modes.length === 0 || modes.some((m) => m !== "scene" && m !== "ansi"))
    return {
      code: "bad-render",
      at: "render",
      message: `renderModes must list "scene" and/or "ansi", got ${JSON.stringify(modes)}: it declares what render() returns.`,
    };
  const frame = env.render();
  if (modes.includes("scene") && !isScene(frame))
    return {
      code: "bad-render",
      at: "render",
      message:
        `render() should return a Scene (renderModes ${JSON.stringify(modes)}): { viewBox: [x, y, width, height], shapes: [...] } of rect, circle, line and text shapes, got ${preview(frame)}. ` +
        "The dashboard's playback cannot draw it.",
    };
  if (!modes.includes("scene") && typeof frame !== "string")
    return { code: "bad-render", at: "render", message: `render() should return text (renderModes ["ansi"]), got ${preview(frame)}.` };
  return null;
}

function isScene(x: unknown): boolean {
  if (typeof x !== "object" || x === null) return false;
  const s = x as { viewBox?: unknown; shapes?: unknown };
  return (
    Array.isArray(s.viewBox) &&
    s.viewBox.length === 4 &&
    s.viewBox.every((v) => typeof v === "number" && Number.isFinite(v)) &&
    Array.isArray(s.shapes) &&
    s.shapes.every(
      (shape) =>
        typeof shape === "object" &&
        shape !== null &&
        ["rect", "circle", "line", "text"].includes((shape as { type?: unknown }).type as string),
    )
  );
}

function preview(x: unknown): string {
  const text = typeof x === "string" ? JSON.stringify(x) : (JSON.stringify(x) ?? String(x));
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

/**
 * A Box action space the initial policy (mean 0, σ 1 per dimension, clipped to the bounds)
 * explores badly (the bounds are finite: `describeEnvironment` refuses others). Only where it matters to this policy: SB3 warns on
 * any bounds other than [−1, 1], which is noise for a space like [−2, 2].
 */
function actionSpaceFindings(spec: EnvSpec): ContractFinding[] {
  const a = spec.action;
  if (a.kind !== "box") return [];
  const out: ContractFinding[] = [];
  const dims = Array.from(a.low, (lo, d) => ({ d, lo, hi: a.high[d] }));
  const outside = dims.filter(({ lo, hi }) => lo > 0 || hi < 0);
  const wide = dims.filter(({ lo, hi }) => lo <= 0 && hi >= 0 && hi - lo > WIDE_RANGE);
  const narrow = dims.filter(({ lo, hi }) => lo <= 0 && hi >= 0 && hi - lo < NARROW_RANGE);
  const bounds = (x: { d: number; lo: number; hi: number }) => `[${x.lo}, ${x.hi}] (dimension ${x.d})`;
  const fix = "Declare the Box as [-1, 1] and scale the action to its range inside step() (Stable-Baselines3 gives the same advice).";
  if (outside.length)
    out.push({
      code: "action-space-not-normalized",
      at: "actionSpace",
      message: `0 lies outside the action bounds ${outside.map(bounds).join(", ")}: the policy starts at mean 0 (σ 1), so nearly every initial action is clipped to the same bound and the policy cannot explore. ${fix}`,
    });
  else if (wide.length)
    out.push({
      code: "action-space-not-normalized",
      at: "actionSpace",
      message: `the action bounds ${wide.map(bounds).join(", ")} are far wider than the initial policy's spread (σ 1 around 0): its actions cover a small part of the range, and learning must first grow σ. ${fix}`,
    });
  else if (narrow.length)
    out.push({
      code: "action-space-not-normalized",
      at: "actionSpace",
      message: `the action bounds ${narrow.map(bounds).join(", ")} are far narrower than the initial policy's spread (σ 1): nearly every action is clipped to a bound, so the gradient sees almost no difference between actions. ${fix}`,
    });
  return out;
}
