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
import { makeRng, type Environment } from "../runtime/index";
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

/** One replayed step as the output channel and the debug console print it: "step 3 (episode 2): action 1 → observation 0, reward 1". */
export function describeReplayStep(step: ReplayStep, index: number): string {
  const episode = step.episode ? ` (episode ${step.episode + 1})` : "";
  const ending = step.terminated ? ", terminated" : step.truncated ? ", truncated" : "";
  return `step ${index + 1}${episode}: action ${JSON.stringify(step.action)} → observation ${JSON.stringify(step.observation)}, reward ${step.reward}${ending}`;
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

/** Numbers the training's recording keeps at most over all its copies (32 MB); past it, a failure carries no episode. */
const MAX_RECORDED_VALUES = 1 << 22;

/** The actions one environment took since its last seeded reset, packed (an action of d numbers takes d). */
interface History {
  seed: number;
  values: Float64Array;
  used: number;
  /** Numbers per action: 1 for a discrete action, d for a Box one; null before the first. */
  width: number | null;
  /** Actions recorded, and how many there were at the start of the episode under way. */
  actions: number;
  episodeStart: number;
}

/**
 * Records, for every environment a training creates, its seed and the actions since its seeded
 * reset, so that a failure during training can be shrunk like one found by the probe (the
 * training's own loop keeps no history: it would grow with every update). The wrapper sits on
 * each instance as own `reset`/`step` properties that call the class's methods on the instance
 * itself, so the user's `this` and private fields are untouched; calls user code makes on its
 * own environment (`this.step()` inside `reset`) are not recorded.
 */
export class EpisodeRecorder {
  private readonly histories = new WeakMap<object, History | null>();
  /** The environment whose reset or step was called last: the one that failed, when a call throws. */
  private last: object | null = null;
  private stored = 0;

  constructor(private readonly user: UserEnvironmentModule) {}

  /** `user`, with every environment it creates recorded. */
  get recorded(): UserEnvironmentModule {
    const user = this.user;
    return {
      name: user.name,
      training: user.training,
      hasRewardExport: user.hasRewardExport,
      create: () => {
        const env = user.create();
        return user.guarded("construct", () => this.watch(env));
      },
      guarded: (call, fn) => user.guarded(call, fn),
      reward: (t) => user.reward(t),
    };
  }

  private watch(env: Environment<unknown, unknown>): Environment<unknown, unknown> {
    const { reset, step } = env;
    let depth = 0;
    const call = <T>(record: () => void, fn: () => T): T => {
      if (depth === 0) {
        this.last = env;
        record();
      }
      depth++;
      try {
        return fn();
      } finally {
        depth--;
      }
    };
    try {
      Object.defineProperty(env, "reset", {
        configurable: true,
        writable: true,
        value: (...args: Parameters<typeof reset>) =>
          call(
            () => this.resetCalled(env, args[0]),
            () => reset.apply(env, args),
          ),
      });
      Object.defineProperty(env, "step", {
        configurable: true,
        writable: true,
        value: (action: unknown) =>
          call(
            () => this.stepCalled(env, action),
            () => step.call(env, action),
          ),
      });
    } catch {
      // A frozen environment cannot be watched: its failures carry no episode.
      this.histories.set(env, null);
    }
    return env;
  }

  private resetCalled(env: object, seed: unknown): void {
    const h = this.histories.get(env);
    if (typeof seed === "number") {
      if (h) this.stored -= h.used;
      this.histories.set(env, { seed, values: new Float64Array(1024), used: 0, width: null, actions: 0, episodeStart: 0 });
    } else if (h) h.episodeStart = h.actions;
  }

  private stepCalled(env: object, action: unknown): void {
    const h = this.histories.get(env);
    if (!h) return;
    const values = typeof action === "number" ? [action] : Array.isArray(action) ? (action as number[]) : null;
    if (!values || (h.width !== null && values.length !== h.width) || this.stored + values.length > MAX_RECORDED_VALUES) {
      this.stored -= h.used;
      this.histories.set(env, null);
      return;
    }
    h.width = values.length;
    if (h.used + values.length > h.values.length) {
      const grown = new Float64Array(Math.max(2 * h.values.length, h.used + values.length));
      grown.set(h.values.subarray(0, h.used));
      h.values = grown;
    }
    h.values.set(values, h.used);
    h.used += values.length;
    h.actions++;
    this.stored += values.length;
  }

  /**
   * The failing episode of the environment called last, shrunk (null: nothing recorded for it,
   * or the shrinking did not reproduce the failure in time). The failing episode alone, replayed
   * from the seeded reset, is tried first: it is short, and usually enough.
   */
  failingEpisode(failure: UserFailure, spec: EnvSpec, budget?: CpuTimeBudget): FailingEpisode | null {
    const h = this.last ? this.histories.get(this.last) : null;
    if (!h || !replayable(failure)) return null;
    const width = h.width ?? 1;
    const actions: unknown[] = Array.from({ length: h.actions }, (_, k) =>
      spec.action.kind === "discrete" ? h.values[k] : Array.from(h.values.subarray(k * width, (k + 1) * width)),
    );
    if (h.episodeStart > 0) {
      const alone = shrinkFailingEpisode(this.user, spec, h.seed, actions.slice(h.episodeStart), failure, budget);
      if (alone) return { ...alone, shrunkFrom: actions.length };
    }
    return shrinkFailingEpisode(this.user, spec, h.seed, actions, failure, budget);
  }
}
