/**
 * What the engine needs to know about an environment, read once from an instance,
 * and the checks applied to everything user code returns (Gymnasium's `check_env`
 * contract: shapes, types, bounds, finiteness). A violation is a `UserCodeError`.
 */
import { Box, Discrete, spaceProblem, type Environment, type Info } from "../runtime/index";
import { fail, failOnMember, type UserCallName } from "./userCode";
import { checkSpaceSizes } from "./limits";
import type { ActionSpec, EnvSpec, ObservationSpec } from "./spaceSpec";

export type { ActionSpec, EnvSpec, ObservationSpec } from "./spaceSpec";

export const DEFAULT_MAX_EPISODE_STEPS = 1000;

export function describeEnvironment(env: Environment<unknown, unknown>): EnvSpec {
  const obsProblem = spaceProblem(env.observationSpace);
  if (obsProblem)
    failOnMember(
      "invalid-space",
      "observationSpace",
      `observationSpace: ${obsProblem}. Fix it in the class, e.g. \`observationSpace = new Box([-1, -1], [1, 1])\``,
    );
  const actProblem = spaceProblem(env.actionSpace);
  if (actProblem)
    failOnMember("invalid-space", "actionSpace", `actionSpace: ${actProblem}. Fix it in the class, e.g. \`actionSpace = new Discrete(2)\``);

  const os = env.observationSpace as Box | Discrete;
  const observation: ObservationSpec =
    os instanceof Box
      ? {
          kind: "box",
          dim: os.low.length,
          low: Float64Array.from(os.low),
          high: Float64Array.from(os.high),
          low32: Float32Array.from(os.low),
          high32: Float32Array.from(os.high),
        }
      : { kind: "discrete", n: os.n, start: os.start };
  const as = env.actionSpace as Box | Discrete;
  if (as instanceof Box && !(as.low.every(Number.isFinite) && as.high.every(Number.isFinite)))
    failOnMember(
      "invalid-space",
      "actionSpace",
      "actionSpace: a Box action space needs finite bounds (the Gaussian policy's actions are clipped to them)",
    );
  const fixed = as instanceof Box ? as.low.findIndex((lo, d) => lo === as.high[d]) : -1;
  if (as instanceof Box && fixed >= 0)
    failOnMember(
      "invalid-space",
      "actionSpace",
      `actionSpace: Box low[${fixed}] = high[${fixed}] = ${as.low[fixed]}, so that action dimension has one possible value and the policy has nothing to choose there. ` +
        "Give it a range (low < high), or leave it out of the action and set it in step().",
    );
  const action: ActionSpec =
    as instanceof Box
      ? { kind: "box", dim: as.low.length, low: Float64Array.from(as.low), high: Float64Array.from(as.high) }
      : { kind: "discrete", n: as.n, start: as.start };

  const maxSteps = env.maxEpisodeSteps ?? DEFAULT_MAX_EPISODE_STEPS;
  if (!Number.isInteger(maxSteps) || maxSteps < 1)
    failOnMember("invalid-space", "maxEpisodeSteps", `maxEpisodeSteps must be a whole number >= 1, got ${String(maxSteps)}`);
  const threshold = env.rewardThreshold;
  if (threshold !== undefined && typeof threshold !== "number")
    failOnMember("invalid-space", "rewardThreshold", `rewardThreshold must be a number, got ${String(threshold)}`);

  const spec: EnvSpec = {
    observation,
    featureDim: observation.kind === "box" ? observation.dim : observation.n,
    action,
    actionDim: action.kind === "box" ? action.dim : action.n,
    maxEpisodeSteps: maxSteps,
    rewardThreshold: threshold ?? null,
  };
  checkSpaceSizes(spec);
  return spec;
}

/**
 * Validate an observation and write its features at `out[offset..]`: the values of a
 * Box observation, or a one-hot vector for a Discrete one.
 */
export function writeFeatures(spec: EnvSpec, obs: unknown, out: Float32Array, offset: number, call: UserCallName): void {
  const o = spec.observation;
  if (o.kind === "discrete") {
    if (typeof obs !== "number")
      fail(
        call === "reset" ? "bad-reset" : "bad-step",
        call,
        `${call}() returned observation ${show(obs)}, expected a whole number (Discrete)`,
      );
    if (!Number.isFinite(obs)) fail("not-finite", call, `${call}() returned observation ${obs}: observations must be finite numbers`);
    if (!Number.isInteger(obs) || obs < o.start || obs >= o.start + o.n)
      fail(
        "observation-out-of-space",
        call,
        `${call}() returned observation ${show(obs)}, outside observationSpace Discrete(${o.n}${o.start ? `, ${o.start}` : ""})`,
      );
    out.fill(0, offset, offset + o.n);
    out[offset + obs - o.start] = 1;
    return;
  }
  if (!Array.isArray(obs) && !ArrayBuffer.isView(obs))
    fail(
      call === "reset" ? "bad-reset" : "bad-step",
      call,
      `${call}() returned observation ${show(obs)}, expected an array of ${o.dim} numbers`,
    );
  const arr = obs as ArrayLike<unknown>;
  if (arr.length !== o.dim)
    fail(
      "observation-out-of-space",
      call,
      `${call}() returned an observation of length ${arr.length}, but observationSpace has ${o.dim} dimensions`,
    );
  for (let k = 0; k < o.dim; k++) {
    const v = arr[k];
    if (typeof v !== "number")
      fail(call === "reset" ? "bad-reset" : "bad-step", call, `${call}() returned observation[${k}] = ${show(v)}, expected a number`);
    checkFinite(v, call, `${call}() returned observation[${k}] = ${v}`, "observations");
    // Compared in float32, like Gymnasium: a value that rounds onto a bound is on it.
    const single = Math.fround(v);
    if (single < o.low32[k] || single > o.high32[k])
      fail(
        "observation-out-of-space",
        call,
        `${call}() returned observation[${k}] = ${v}, outside observationSpace bounds [${o.low[k]}, ${o.high[k]}]`,
      );
    out[offset + k] = v;
  }
}

/** The largest finite float32, (2 − 2⁻²³)·2¹²⁷: the policy, its returns and its gradients are computed in float32. */
export const FLOAT32_MAX = 3.4028234663852886e38;

/**
 * A number fed to the policy (an observation) or weighting its gradient (a reward) must be
 * finite in float32 as well as in JavaScript: 1e300 passes `Number.isFinite` but becomes
 * Infinity in the policy's float32 tensors, and every probability and statistic then NaN.
 */
export function checkFinite(x: number, call: UserCallName, subject: string, kind: "observations" | "rewards"): void {
  if (!Number.isFinite(x)) fail("not-finite", call, `${subject}: ${kind} must be finite numbers`);
  if (Math.abs(x) > FLOAT32_MAX)
    fail(
      "not-finite",
      call,
      `${subject}: too large for the 32-bit floats the policy computes in (at most ±3.4e38); scale the ${kind} down`,
    );
}

/**
 * The returns-to-go of an episode, G_t = Σ_{k≥t} γ^(k−t) r_k, must stay finite in float32 too:
 * every per-step reward may be representable while their sum is not (1e38 a step for five
 * steps). Checked at γ = 1, whose suffix sums are the largest returns when the rewards share
 * a sign, so a return that passes here passes at every γ ≤ 1. O(length), once per episode.
 */
export function checkEpisodeReturns(rewards: Float64Array, from: number, length: number, call: UserCallName): void {
  let toGo = 0;
  for (let t = length - 1; t >= 0; t--) {
    toGo += rewards[from + t];
    if (Math.abs(toGo) > FLOAT32_MAX)
      fail(
        "not-finite",
        call,
        `the rewards of an episode from step ${t} to its end (${length} steps) sum to ${toGo.toPrecision(3)}: ` +
          "too large for the 32-bit floats the policy computes in (at most ±3.4e38), where the return that weights the gradient would be Infinity; scale the rewards down",
      );
  }
}

/** A Promise (or any thenable): what an `async` method returns. */
function isThenable(x: unknown): x is PromiseLike<unknown> {
  return (typeof x === "object" || typeof x === "function") && x !== null && typeof (x as { then?: unknown }).then === "function";
}

/**
 * An `async` reset, step or reward: named as such. The engine calls them synchronously, so
 * a Promise is never awaited; its rejection, if any, is handled here rather than lost.
 */
export function failIfAsync(result: unknown, call: "reset" | "step" | "reward"): void {
  if (!isThenable(result)) return;
  (result as PromiseLike<unknown>).then(undefined, () => undefined);
  fail(
    call === "reset" ? "bad-reset" : "bad-step",
    call,
    `${call}() is async (it returned a Promise): the engine calls ${call}() synchronously, once per ${call === "reset" ? "episode" : "step"}, and cannot wait. ` +
      `Remove \`async\` and any \`await\` from ${call}(): compute the result directly (load data before training, e.g. with fs.readFileSync at the top of the file).`,
  );
}

/** `reset` must return `[observation, info]`. Returns the observation. */
export function checkReset(result: unknown): unknown {
  failIfAsync(result, "reset");
  if (!Array.isArray(result) || result.length !== 2 || !isInfo(result[1]))
    fail(
      "bad-reset",
      "reset",
      `reset() must return [observation, info] (Gymnasium's API; Gym's old reset returned the observation alone), got ${show(result)}`,
    );
  return result[0];
}

export interface StepResult {
  observation: unknown;
  reward: number;
  terminated: boolean;
  truncated: boolean;
  info: Info;
}

/** `step` must return `[observation, reward, terminated, truncated, info]`. */
export function checkStep(result: unknown): StepResult {
  failIfAsync(result, "step");
  if (!Array.isArray(result) || result.length !== 5)
    fail(
      "bad-step",
      "step",
      `step() must return [observation, reward, terminated, truncated, info], got ${show(result)}` +
        (Array.isArray(result) && result.length === 4
          ? " (that is Gym's old [observation, reward, done, info]: split done into terminated and truncated)"
          : ""),
    );
  const tuple = result as unknown[];
  const observation = tuple[0];
  const reward = tuple[1];
  const terminated = tuple[2];
  const truncated = tuple[3];
  const info = tuple[4];
  if (typeof reward !== "number") fail("bad-step", "step", `step() returned reward ${show(reward)}, expected a number`);
  if (typeof terminated !== "boolean") fail("bad-step", "step", `step() returned terminated ${show(terminated)}, expected true or false`);
  if (typeof truncated !== "boolean") fail("bad-step", "step", `step() returned truncated ${show(truncated)}, expected true or false`);
  if (!isInfo(info)) fail("bad-step", "step", `step() returned info ${show(info)}, expected an object`);
  return { observation, reward, terminated, truncated, info };
}

/**
 * A copy of a Box observation (a Discrete one is a number): a step that mutates and
 * returns one array would otherwise hand the `reward` export an observation identical to
 * nextObservation. Copying a few numbers per step costs little next to the step.
 */
export function snapshot(obs: unknown): unknown {
  if (Array.isArray(obs)) return obs.slice();
  if (ArrayBuffer.isView(obs) && !(obs instanceof DataView)) return (obs as unknown as { slice(): unknown }).slice();
  return obs;
}

function isInfo(x: unknown): x is Info {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

export function show(x: unknown): string {
  if (typeof x === "number" || typeof x === "boolean" || x === null || x === undefined) return String(x);
  if (typeof x === "bigint") return `${x}n (a BigInt)`;
  try {
    const s = JSON.stringify(x, (_k, v) =>
      (typeof v === "number" && !Number.isFinite(v)) || typeof v === "bigint" ? (typeof v === "bigint" ? `${v}n` : String(v)) : v,
    );
    return s.length > 80 ? s.slice(0, 77) + "..." : s;
  } catch {
    return Object.prototype.toString.call(x);
  }
}
