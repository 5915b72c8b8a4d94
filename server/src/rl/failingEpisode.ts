/**
 * A failure found while sampling (user code threw, returned a non-finite value, or left the
 * observation space), turned into an episode anyone can replay: the copy's seed and the actions
 * it took since its seeded reset, shrunk by delta debugging (Zeller's ddmin) to a 1-minimal
 * sequence — removing any single action makes the rest stop failing the same way.
 *
 * A replay runs on a fresh environment exactly as the rollout does: reset(seed), then each
 * action, resetting without a seed where an episode ends (terminated, truncated, or at
 * maxEpisodeSteps), with the same checks on everything user code returns. "The same way" is the
 * same diagnostic code from the same user function, at the same place when one is known.
 */
import type { FailingEpisode } from "../protocol";
import { makeRng } from "../runtime/index";
import { checkFinite, checkReset, checkStep, snapshot, writeFeatures, type EnvSpec } from "./envSpec";
import { transitionReward } from "./transitionReward";
import type { CpuTimeBudget } from "./timeBound";
import { UserCodeError, type UserEnvironmentModule, type UserFailure } from "./userCode";

/** The failures an episode can be replayed to (others: a crash or a time-out, end the runner). */
const REPLAYABLE = new Set(["user-code-threw", "not-finite", "observation-out-of-space", "bad-step", "bad-reset"]);
/** Replays the shrinking may make at most. */
const MAX_REPLAYS = 2000;

export function replayable(f: UserFailure): boolean {
  return REPLAYABLE.has(f.code);
}

/** A replay's steps and the failure it ended in (null: it did not fail). */
export interface ReplayResult {
  steps: ReplayStep[];
  failure: UserFailure | null;
}

/** What one step of a replay saw (for "Replay failing episode"). */
export interface ReplayStep {
  episode: number;
  action: unknown;
  observation: unknown;
  reward: number;
  terminated: boolean;
  truncated: boolean;
}

/**
 * Replays `actions` from reset(seed) on a fresh environment; the failure it ends in, or null.
 * `onStep` sees every completed step.
 */
export function replayActions(
  user: UserEnvironmentModule,
  spec: EnvSpec,
  seed: number,
  actions: readonly unknown[],
  onStep?: (step: ReplayStep) => void,
  /** Stop when the first episode ends (the fuzzer plays one episode per seed). */
  singleEpisode = false,
): UserFailure | null {
  const features = new Float32Array(spec.featureDim);
  try {
    const env = user.create();
    const reset = (s?: number) =>
      user.guarded("reset", () => {
        const obs = snapshot(checkReset(env.reset(s)));
        writeFeatures(spec, obs, features, 0, "reset");
        return obs;
      });
    let observation = reset(seed);
    let length = 0;
    let episode = 0;
    for (const action of actions) {
      const s = user.guarded("step", () => {
        const result = checkStep(env.step(action));
        writeFeatures(spec, result.observation, features, 0, "step");
        return { ...result, observation: snapshot(result.observation) };
      });
      const r = transitionReward(user, observation, action, s).total;
      const call = user.hasRewardExport ? "reward" : "step";
      checkFinite(r, call, `${call}() returned a reward of ${r}`, "rewards");
      length++;
      const ends = s.terminated || s.truncated || length >= spec.maxEpisodeSteps;
      onStep?.({
        episode,
        action,
        observation: s.observation,
        reward: r,
        terminated: s.terminated,
        truncated: s.truncated || (ends && !s.terminated),
      });
      observation = s.observation;
      if (ends) {
        if (singleEpisode) return null;
        observation = reset();
        length = 0;
        episode++;
      }
    }
    return null;
  } catch (error) {
    if (error instanceof UserCodeError) return error.failure;
    throw error;
  }
}

const sameFailure = (a: UserFailure, b: UserFailure) =>
  a.code === b.code &&
  a.call === b.call &&
  (a.place?.line ?? -1) === (b.place?.line ?? -1) &&
  (a.place?.file ?? "") === (b.place?.file ?? "");

/**
 * The shortest sequence delta debugging finds that still fails like `failure` (1-minimal), or
 * null when the full sequence does not reproduce it (randomness no seed controls) or the
 * shrinking ran out of replays or CPU time.
 */
export function shrinkFailingEpisode(
  user: UserEnvironmentModule,
  spec: EnvSpec,
  seed: number,
  actions: readonly unknown[],
  failure: UserFailure,
  budget?: CpuTimeBudget,
): FailingEpisode | null {
  let replays = 0;
  let outOfTime = false;
  const fails = (candidate: readonly unknown[]): boolean => {
    if (replays++ >= MAX_REPLAYS || budget?.exhausted) {
      outOfTime = true;
      return false;
    }
    const f = replayActions(user, spec, seed, candidate);
    return f !== null && sameFailure(f, failure);
  };
  if (!fails(actions)) return null;
  let current = [...actions];
  let n = 2;
  while (current.length >= 2 && !outOfTime) {
    const size = Math.ceil(current.length / n);
    const chunks: unknown[][] = [];
    for (let k = 0; k < current.length; k += size) chunks.push(current.slice(k, k + size));
    let reduced = false;
    // A chunk alone that fails, then a complement (all but one chunk) that fails.
    for (const chunk of chunks)
      if (fails(chunk)) {
        current = chunk;
        n = 2;
        reduced = true;
        break;
      }
    if (!reduced)
      for (let k = 0; k < chunks.length; k++) {
        const complement = chunks.filter((_, j) => j !== k).flat();
        if (fails(complement)) {
          current = complement;
          n = Math.max(n - 1, 2);
          reduced = true;
          break;
        }
      }
    if (!reduced) {
      if (n >= current.length) break;
      n = Math.min(2 * n, current.length);
    }
  }
  // The empty sequence (a reset alone) may fail too.
  if (current.length === 1 && fails([])) current = [];
  if (outOfTime) return null;
  return { seed, actions: current as FailingEpisode["actions"], shrunkFrom: actions.length };
}

/** Failures of one kind, as the fuzzer groups them: the first one's shrunk episode, and how many episodes failed so. */
export interface FuzzFinding {
  failure: UserFailure;
  count: number;
}

export interface FuzzReport {
  episodes: number;
  findings: FuzzFinding[];
}

/**
 * "RL: Fuzz Environment": `episodes` episodes of uniformly random actions (over the whole action
 * space, not the policy's reach), one per seed from `seed`, each on a fresh environment with the
 * rollout's checks. Failures are grouped by kind (code, user function and place); the first of
 * each kind is shrunk to a 1-minimal episode.
 */
export function fuzzEnvironment(
  user: UserEnvironmentModule,
  spec: EnvSpec,
  episodes: number,
  seed: number,
  budget?: CpuTimeBudget,
): FuzzReport {
  const findings: FuzzFinding[] = [];
  let played = 0;
  for (let e = 0; e < episodes && !budget?.exhausted; e++) {
    const rng = makeRng(`fuzz/${seed + e}`);
    const act = spec.action;
    const actions = Array.from({ length: spec.maxEpisodeSteps }, () =>
      act.kind === "discrete" ? act.start + Math.floor(rng() * act.n) : Array.from(act.low, (lo, d) => lo + rng() * (act.high[d] - lo)),
    );
    let steps = 0;
    const failure = replayActions(user, spec, seed + e, actions, () => steps++, true);
    played++;
    if (!failure || !replayable(failure)) continue;
    const same = findings.find((f) => sameFailure(f.failure, failure));
    if (same) {
      same.count++;
      continue;
    }
    // The failing step is the one after the last completed step.
    const episode = shrinkFailingEpisode(user, spec, seed + e, actions.slice(0, steps + 1), failure, budget);
    findings.push({ failure: episode ? { ...failure, episode } : failure, count: 1 });
  }
  return { episodes: played, findings };
}
