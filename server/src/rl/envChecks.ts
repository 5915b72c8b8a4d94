/**
 * Contract checks that need to run user code (Gymnasium's `check_env` parity beyond
 * shapes and types, which every call checks): reset's determinism for a seed.
 */
import { makeRng, type Environment } from "../runtime/index";
import type { UserEnvironmentModule } from "./userCode";
import { checkReset, checkStep, writeFeatures, type EnvSpec } from "./envSpec";

type Env = Environment<unknown, unknown>;

/** A fixed, seeded action sequence from the action space. */
function actionSequence(spec: EnvSpec, seed: string, length: number): unknown[] {
  const rng = makeRng(seed);
  const a = spec.action;
  return Array.from({ length }, () =>
    a.kind === "discrete" ? a.start + Math.floor(rng() * a.n) : Array.from(a.low, (lo, d) => lo + rng() * (a.high[d] - lo)),
  );
}

/** The first observation's features after `reset(seed)`. */
function firstObservation(user: UserEnvironmentModule, env: Env, spec: EnvSpec, seed: number): number[] {
  const features = new Float32Array(spec.featureDim);
  user.guarded("reset", () => writeFeatures(spec, checkReset(env.reset(seed)), features, 0, "reset"));
  return Array.from(features);
}

const same = (a: number[], b: number[]) => a.length === b.length && a.every((v, k) => Object.is(v, b[k]));

/** Steps replayed to see whether the same seed and actions give the same trajectory. */
const REPLAY_STEPS = 10;

/** Features, rewards and end flags of a replay of `actions` from `reset(seed)`, as one list. */
function trajectory(user: UserEnvironmentModule, env: Env, spec: EnvSpec, seed: number, actions: unknown[]): number[] {
  const trace = firstObservation(user, env, spec, seed);
  const features = new Float32Array(spec.featureDim);
  for (const action of actions) {
    const s = user.guarded("step", () => {
      const result = checkStep(env.step(action));
      writeFeatures(spec, result.observation, features, 0, "step");
      return result;
    });
    trace.push(...features, s.reward, s.terminated ? 1 : 0, s.truncated ? 1 : 0);
    if (s.terminated || s.truncated) break;
  }
  return trace;
}

export interface ResetChecks {
  /** The same seed gives the same first observation (Gymnasium's check_env). */
  deterministic: boolean;
  /** reset(seed) restarts this.rng: the stream after it is the same every time. */
  reseedsRng: boolean;
  /** Different seeds give this.rng the same stream: the seed is ignored. */
  ignoresSeed: boolean;
  /** The same seed and actions give the same observations and rewards for the first steps. */
  stepsDeterministic: boolean;
}

export function checkResetSeeding(user: UserEnvironmentModule, spec: EnvSpec): ResetChecks {
  const env = user.create();
  const deterministic = same(firstObservation(user, env, spec, 123), firstObservation(user, env, spec, 123));
  const streamAfter = (seed: number) =>
    user.guarded("reset", () => {
      env.reset(seed);
      return [env.rng(), env.rng()];
    });
  const reseedsRng = same(streamAfter(7), streamAfter(7));
  const ignoresSeed = reseedsRng && same(streamAfter(1), streamAfter(2));
  const actions = actionSequence(spec, "replay", Math.min(REPLAY_STEPS, spec.maxEpisodeSteps));
  const stepsDeterministic = same(trajectory(user, env, spec, 123, actions), trajectory(user, env, spec, 123, actions));
  return { deterministic, reseedsRng, ignoresSeed, stepsDeterministic };
}
