/**
 * A scripted episode: reset with a seed, then the given actions in order, until the
 * episode ends or the actions run out. The contract checks that compare replays (the
 * enumeration of exact.ts, the coupled replays of actionIndependence.ts) share this loop;
 * episodes of the policy run in `LockstepRollout`.
 */
import type { Environment } from "../runtime/index";
import { checkReset, checkStep, snapshot, writeFeatures, type EnvSpec } from "./envSpec";
import { transitionReward } from "./transitionReward";
import type { UserEnvironmentModule } from "./userCode";

export interface Replay {
  /** Features of the first observation. */
  start: Float32Array;
  /** r_{t+1} of each step taken (the `reward` export's total when present). */
  rewards: number[];
}

/** Called around the reset (the enumeration counts random draws made after it). */
export interface ReplayHooks {
  beforeReset?(): void;
  afterReset?(): void;
}

export function replayEpisode(
  user: UserEnvironmentModule,
  env: Environment<unknown, unknown>,
  spec: EnvSpec,
  seed: number,
  actions: unknown[],
  hooks: ReplayHooks = {},
): Replay {
  const start = new Float32Array(spec.featureDim);
  hooks.beforeReset?.();
  let observation = user.guarded("reset", () => {
    // A copy: an environment that reuses one array for every observation must not change this one.
    const obs = snapshot(checkReset(env.reset(seed)));
    writeFeatures(spec, obs, start, 0, "reset");
    return obs;
  });
  hooks.afterReset?.();
  const rewards: number[] = [];
  for (const action of actions) {
    const s = user.guarded("step", () => {
      const result = checkStep(env.step(action));
      return { ...result, observation: snapshot(result.observation) };
    });
    rewards.push(transitionReward(user, observation, action, s).total);
    observation = s.observation;
    if (s.terminated || s.truncated) break;
  }
  return { start, rewards };
}
