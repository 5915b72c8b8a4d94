/**
 * Contract checks that need to run user code (Gymnasium's `check_env` parity beyond
 * shapes and types, which every call checks): reset's determinism for a seed, and
 * whether returns depend on the actions at all.
 */
import { makeRng, type Environment } from "../runtime/index";
import type { UserModule } from "../sandbox/userModule";
import { checkReset, checkStep, writeFeatures, type EnvSpec } from "./envSpec";
import { transitionReward } from "./rollout";

/** Steps replayed per seed to compare trajectories. */
const REPLAY_STEPS = 10;

type Env = Environment<unknown, unknown>;

/** A fixed, seeded action sequence from the action space. */
function actionSequence(spec: EnvSpec, seed: string, length: number): unknown[] {
  const rng = makeRng(seed);
  const a = spec.action;
  return Array.from({ length }, () =>
    a.kind === "discrete" ? a.start + Math.floor(rng() * a.n) : Array.from(a.low, (lo, d) => lo + rng() * (a.high[d] - lo)),
  );
}

/** Features, rewards and end flags of a replay, as one comparable list of numbers. */
function replay(user: UserModule, env: Env, spec: EnvSpec, seed: number, actions: unknown[]): number[] {
  const trace: number[] = [];
  const features = new Float32Array(spec.featureDim);
  writeFeatures(spec, checkReset(user.reset(env, seed)), features, 0, "reset");
  trace.push(...features);
  for (const action of actions) {
    const s = checkStep(user.step(env, action));
    writeFeatures(spec, s.observation, features, 0, "step");
    trace.push(...features, s.reward, s.terminated ? 1 : 0, s.truncated ? 1 : 0);
    if (s.terminated || s.truncated) break;
  }
  return trace;
}

const same = (a: number[], b: number[]) => a.length === b.length && a.every((v, k) => Object.is(v, b[k]));

export interface ResetChecks {
  deterministic: boolean;
  reseedsRng: boolean;
  ignoresSeed: boolean;
}

export function checkResetSeeding(user: UserModule, spec: EnvSpec): ResetChecks {
  const env = user.create();
  const actions = actionSequence(spec, "reset-check", Math.min(REPLAY_STEPS, spec.maxEpisodeSteps));
  const deterministic = same(replay(user, env, spec, 123, actions), replay(user, env, spec, 123, actions));
  // Does reset(seed) restart this.rng from the seed (super.reset(seed) called), and do seeds differ?
  const streamAfter = (seed: number) => {
    user.reset(env, seed);
    return [env.rng(), env.rng()];
  };
  const expected = makeRng(7);
  const reseedsRng = same(streamAfter(7), [expected(), expected()]);
  const ignoresSeed = same(streamAfter(1), streamAfter(2));
  return { deterministic, reseedsRng, ignoresSeed };
}

/**
 * The direct test of an action-independent reward: reset with the same seed, act
 * differently, compare the returns. True when no pair of replays differed.
 */
export function returnsIgnoreActions(user: UserModule, spec: EnvSpec, seeds: number): boolean {
  const env = user.create();
  const episodeReturn = (seed: number, actions: unknown[]) => {
    let obs = checkReset(user.reset(env, seed));
    let total = 0;
    for (const action of actions) {
      const s = checkStep(user.step(env, action));
      total += transitionReward(user, obs, action, s).total;
      obs = s.observation;
      if (s.terminated || s.truncated) break;
    }
    return total;
  };
  const length = Math.min(spec.maxEpisodeSteps, 200);
  for (let k = 0; k < seeds; k++) {
    const a = episodeReturn(1000 + k, actionSequence(spec, `independence/${k}/a`, length));
    const b = episodeReturn(1000 + k, actionSequence(spec, `independence/${k}/b`, length));
    if (Math.abs(a - b) > 1e-9 * Math.max(1, Math.abs(a), Math.abs(b))) return false;
  }
  return true;
}
