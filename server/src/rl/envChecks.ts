/**
 * Contract checks that need to run user code (Gymnasium's `check_env` parity beyond
 * shapes and types, which every call checks): reset's determinism for a seed, and whose
 * randomness breaks it. It stops when the probe's CPU-time bound is spent, and then
 * answers null: not known. (Whether returns depend on the actions at all is
 * `actionIndependence.ts`.)
 */
import { makeRng, type Environment, type Rng } from "../runtime/index";
import type { UserEnvironmentModule } from "./userCode";
import { checkReset, checkStep, snapshot, writeFeatures, type EnvSpec } from "./envSpec";
import { OutOfTime, type CpuTimeBudget } from "./timeBound";
import { transitionReward } from "./transitionReward";

type Env = Environment<unknown, unknown>;

/** A fixed, seeded action sequence from the action space. */
function actionSequence(spec: EnvSpec, seed: string, length: number): unknown[] {
  const rng = makeRng(seed);
  const a = spec.action;
  return Array.from({ length }, () =>
    a.kind === "discrete" ? a.start + Math.floor(rng() * a.n) : Array.from(a.low, (lo, d) => lo + rng() * (a.high[d] - lo)),
  );
}

const same = (a: number[], b: number[]) => a.length === b.length && a.every((v, k) => Object.is(v, b[k]));

/** Replays (seed, steps) to see whether the same seed and actions give the same trajectory. */
const REPLAY_SEEDS = [123, 124, 125];
const REPLAY_STEPS = 50;

/** Runs a user call under the probe's bound; refuses to start one once it is spent (OutOfTime). */
function timed<T>(budget: CpuTimeBudget | undefined, fn: () => T): T {
  return budget ? budget.charge(fn) : fn();
}

/** The user function whose randomness made a replay differ, and where that randomness came from. */
export interface Nondeterminism {
  call: "reset" | "step" | "reward";
  /**
   * `unseeded-rng`: this.rng() drawn from but never reseeded by reset (super.reset(seed) forgotten);
   * `math-random`: Math.random() drawn from; `other`: anything else (state kept across
   * episodes, the clock).
   */
  cause: "unseeded-rng" | "math-random" | "other";
}

/** Draws from randomness no seed controls, counted per user function during a replay. */
class UnseededDraws {
  readonly mathRandom = { reset: 0, step: 0, reward: 0 };
  unseededRng = 0;
  call: "reset" | "step" | "reward" = "reset";
}

interface Replay {
  /** Features of reset's observation. */
  start: number[];
  /** Per step: features of the observation, step's reward, terminated, truncated. */
  steps: number[];
  /** Per step: the `reward` export's value (empty without one). */
  rewards: number[];
  /** Per step: step's info as JSON (Gymnasium's step determinism check compares it too). */
  infos: string[];
}

/**
 * A replay of `actions` from `reset(seed)` in which the randomness no seed controls is made
 * to differ on purpose: Math.random() and the environment's generator before reset draw
 * from the stream named `stream`. Two replays with different streams then differ exactly
 * when the trajectory depends on such randomness, so the verdict does not rest on luck.
 */
function replay(
  user: UserEnvironmentModule,
  env: Env,
  spec: EnvSpec,
  seed: number,
  actions: unknown[],
  stream: string,
  draws: UnseededDraws,
  budget: CpuTimeBudget | undefined,
): Replay {
  const features = new Float32Array(spec.featureDim);
  const mathRandom = makeRng(`${stream}/Math.random`);
  const before = makeRng(`${stream}/rng`);
  const unseeded: Rng = () => {
    draws.unseededRng++;
    return before();
  };
  const random = Math.random;
  Math.random = () => {
    draws.mathRandom[draws.call]++;
    return mathRandom();
  };
  try {
    env.rng = unseeded;
    draws.call = "reset";
    let observation = timed(budget, () =>
      user.guarded("reset", () => {
        const obs = snapshot(checkReset(env.reset(seed)));
        writeFeatures(spec, obs, features, 0, "reset");
        return obs;
      }),
    );
    const out: Replay = { start: Array.from(features), steps: [], rewards: [], infos: [] };
    for (const action of actions) {
      draws.call = "step";
      const s = timed(budget, () =>
        user.guarded("step", () => {
          const result = checkStep(env.step(action));
          writeFeatures(spec, result.observation, features, 0, "step");
          return { ...result, observation: snapshot(result.observation) };
        }),
      );
      out.steps.push(...features, s.reward, s.terminated ? 1 : 0, s.truncated ? 1 : 0);
      out.infos.push(infoJson(s.info));
      if (user.hasRewardExport) {
        draws.call = "reward";
        out.rewards.push(timed(budget, () => transitionReward(user, observation, action, s).total));
      }
      observation = s.observation;
      if (s.terminated || s.truncated) break;
    }
    return out;
  } finally {
    Math.random = random;
  }
}

export interface ResetChecks {
  /** The same seed gives the same first observation (Gymnasium's check_env). */
  deterministic: boolean;
  /** reset(seed) restarts this.rng: the stream after it is the same every time. */
  reseedsRng: boolean;
  /** Different seeds give this.rng the same stream: the seed is ignored. */
  ignoresSeed: boolean;
  /** The same seed and actions give the same observations and step rewards. */
  stepsDeterministic: boolean;
  /** The culprit when some replay differed, else null. */
  nondeterminism: Nondeterminism | null;
}

/**
 * Whether the same seed and actions give the same trajectory (design §5
 * `nondeterministic-reset`), and if not, whose randomness is to blame. Null when the
 * probe's time bound passed first.
 */
export function checkResetSeeding(user: UserEnvironmentModule, spec: EnvSpec, budget?: CpuTimeBudget): ResetChecks | null {
  try {
    const env = user.create();
    const streamAfter = (seed: number) =>
      timed(budget, () =>
        user.guarded("reset", () => {
          env.reset(seed);
          return [env.rng(), env.rng()];
        }),
      );
    const reseedsRng = same(streamAfter(7), streamAfter(7));
    const ignoresSeed = reseedsRng && same(streamAfter(1), streamAfter(2));
    const draws = new UnseededDraws();
    const steps = Math.min(REPLAY_STEPS, spec.maxEpisodeSteps);
    let differs: Nondeterminism["call"] | null = null;
    let deterministic = true;
    for (const seed of REPLAY_SEEDS) {
      const actions = actionSequence(spec, `replay/${seed}`, steps);
      const a = replay(user, env, spec, seed, actions, "a", draws, budget);
      const b = replay(user, env, spec, seed, actions, "b", draws, budget);
      deterministic &&= same(a.start, b.start);
      differs = !same(a.start, b.start)
        ? "reset"
        : !same(a.steps, b.steps) || a.infos.some((x, k) => x !== b.infos[k])
          ? "step"
          : !same(a.rewards, b.rewards)
            ? "reward"
            : null;
      if (differs) break;
    }
    return {
      deterministic,
      reseedsRng,
      ignoresSeed,
      stepsDeterministic: differs === null || differs === "reward",
      nondeterminism: differs && culprit(differs, draws),
    };
  } catch (error) {
    if (error instanceof OutOfTime) return null;
    throw error;
  }
}

/**
 * Whose randomness made a replay differ: an unseeded this.rng() is reset's fault (it forgot
 * super.reset(seed)); else the function that drew from Math.random(), in call order;
 * else the first part of the trajectory that differed.
 */
function culprit(differs: Nondeterminism["call"], draws: UnseededDraws): Nondeterminism {
  if (draws.unseededRng > 0) return { call: "reset", cause: "unseeded-rng" };
  for (const call of ["reset", "step", "reward"] as const) if (draws.mathRandom[call] > 0) return { call, cause: "math-random" };
  return { call: differs, cause: "other" };
}

/** info as JSON with its keys in order; what JSON cannot hold (functions, cycles) reads as its type. */
function infoJson(info: unknown): string {
  try {
    return JSON.stringify(info, (_key, value: unknown) =>
      value && typeof value === "object" && !Array.isArray(value)
        ? Object.fromEntries(Object.entries(value as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
        : typeof value === "function" || typeof value === "bigint"
          ? typeof value
          : value,
    );
  } catch {
    return "unserialisable";
  }
}
