/**
 * The episode loop: N copies of an environment run in lockstep, one episode each, with one
 * batched policy forward per time step for all copies still running. For each copy,
 *
 *   s_0 = reset(seed)
 *   a_t ~ πθ(·|s_t)                         (sampled from the policy's output)
 *   s_{t+1}, r_{t+1} = step(a_t)            (r from the `reward` export when there is one)
 *
 * until the episode terminates, is truncated, or reaches `maxEpisodeSteps`. The episodes are
 * laid out in an `EpisodeBatch`, ready for the returns and the gradient pass.
 */
import { normal, type Environment, type Rng } from "../runtime/index";
import { checkEpisodeReturns, checkFinite, checkReset, checkStep, snapshot, writeFeatures, type EnvSpec, type StepResult } from "./envSpec";
import { clearBatch, emptyBatch, recordTerms, type EpisodeBatch } from "./episodeBatch";
import { checkRolloutSize } from "./limits";
import { RolloutClock, type CallTiming, type CollectOptions } from "./rolloutClock";
import { transitionReward } from "./transitionReward";
import type { Cancellation, UserEnvironmentModule } from "./userCode";

/** The part of the policy the rollout needs: outputs for a batch of feature rows. */
export interface ActingPolicy {
  /** Discrete: logits; Box: Gaussian means. `n` rows of `spec.actionDim`. */
  predict(features: Float32Array, n: number): Float32Array;
  /** Box only: standard deviations per action dimension. */
  std(): Float32Array | null;
}

export class LockstepRollout {
  readonly envs: Environment<unknown, unknown>[];
  /** s_t of each copy as the `reward` export sees it (a copy: step may mutate and return one array). */
  private readonly current: unknown[];
  /** Whether copy i has had its first, seeded, reset. */
  private readonly started: boolean[];
  /** The rows of the copies still running at time t: the batched forward's input. */
  private readonly input: Float32Array;
  /** Where a final observation is written to be checked; no action follows it. */
  private readonly finalFeatures: Float32Array;
  private readonly batch: EpisodeBatch;
  /** Scratch for π(·|s_t) of one copy (Discrete). */
  private readonly probs: Float64Array;
  /** The step under the watchdog, made once (no closure per step): it reads `pending`. */
  private readonly stepAndRead: () => StepResult;
  private readonly pending = { copy: 0, action: undefined as unknown, ends: false, nextAt: 0 };
  /** Environment steps taken by the current (or last) `collect`, for heartbeats. */
  stepsTaken = 0;
  /** Set when the last `collect` stopped because the budget was spent. */
  outOfTime = false;
  /** When set (the probe), every action each copy took since its seeded reset: a failing episode is replayed from it. */
  actionHistory: unknown[][] | null = null;
  /** The copy whose reset or step was called last: the one that failed, when a call throws. */
  lastCopy = -1;
  /** Filled when constructed with `timed`: the probe reports a slow step from it. */
  readonly timing: CallTiming = { stepCalls: 0, stepMs: 0, rewardCalls: 0, rewardMs: 0 };

  /**
   * @param episodesAsked where `n` came from, to blame the right setting when the batch is
   *   over the engine's memory limit.
   */
  constructor(
    private readonly user: UserEnvironmentModule,
    readonly spec: EnvSpec,
    readonly n: number,
    private readonly seed: number,
    private readonly guard: Cancellation,
    first?: Environment<unknown, unknown>,
    private readonly timed = false,
    episodesAsked: "training" | "probe" = "training",
  ) {
    checkRolloutSize(spec, n, episodesAsked);
    this.envs = Array.from({ length: n }, (_, i) => (i === 0 && first ? first : user.create()));
    this.current = new Array(n);
    this.started = new Array<boolean>(n).fill(false);
    this.input = new Float32Array(n * spec.featureDim);
    this.finalFeatures = new Float32Array(spec.featureDim);
    this.batch = emptyBatch(spec, n);
    this.probs = new Float64Array(spec.actionDim);
    this.stepAndRead = () => {
      const p = this.pending;
      const result = checkStep(this.envs[p.copy].step(p.action));
      p.ends = result.terminated || result.truncated || p.ends;
      writeFeatures(spec, result.observation, p.ends ? this.finalFeatures : this.batch.features, p.ends ? 0 : p.nextAt, "step");
      return result;
    };
  }

  /**
   * One episode on each of the first `count` copies (all by default). The first episode of
   * copy i is reset with seed `seed + i`; later ones continue that copy's stream
   * (Gymnasium's vector-env convention). Returns null when cancelled or when the budget is
   * spent (then `outOfTime` is set). The returned batch is reused by the next call.
   */
  collect(policy: ActingPolicy, rng: Rng, count = this.n, options: CollectOptions = {}): EpisodeBatch | null {
    const { batch, guard } = this;
    const clock = new RolloutClock(options, guard, this.timed ? this.timing : null);
    this.outOfTime = false;
    this.stepsTaken = 0;
    const n = Math.min(count, this.n);
    clearBatch(batch);

    // s_0 of every copy.
    for (let i = 0; i < n; i++) {
      if (!clock.beforeReset()) return this.stopped(clock);
      this.reset(i);
    }

    const alive: number[] = Array.from({ length: n }, (_, i) => i);
    const std = policy.std();
    const gaussianEntropy = entropyOfGaussian(std);
    for (let t = 0; alive.length > 0; t++) {
      if (guard.cancelled) return this.stopped(clock);
      clock.beginTimeStep();
      // πθ(·|s_t) of every copy still running, in one forward.
      const out = policy.predict(this.statesAt(alive, t), alive.length);
      let write = 0;
      for (let j = 0; j < alive.length; j++) {
        const i = alive[j];
        const row = i * batch.stride + t;
        const action = this.sampleAction(out, j, row, rng, std, gaussianEntropy);
        const ended = this.step(i, t, action, clock);
        if (ended === null) return this.stopped(clock);
        if (!ended) alive[write++] = i;
      }
      alive.length = write;
      clock.endTimeStep();
    }
    batch.n = n;
    return batch;
  }

  /** No batch: a stop was asked, or the budget is spent (then `outOfTime`). */
  private stopped(clock: RolloutClock): null {
    this.outOfTime = clock.outOfTime;
    return null;
  }

  /** s_0 of copy i: a seeded reset the first time, then the copy's stream goes on. */
  private reset(i: number): void {
    const { user, spec, batch } = this;
    const seed = this.started[i] ? undefined : this.seed + i;
    this.lastCopy = i;
    this.current[i] = user.guarded("reset", () => {
      const obs = checkReset(this.envs[i].reset(seed));
      writeFeatures(spec, obs, batch.features, i * batch.stride * spec.featureDim, "reset");
      return user.hasRewardExport ? snapshot(obs) : obs;
    });
    this.started[i] = true;
  }

  /** The feature rows of s_t of the running copies, packed for the forward. */
  private statesAt(alive: number[], t: number): Float32Array {
    const F = this.spec.featureDim;
    const { features, stride } = this.batch;
    for (let j = 0; j < alive.length; j++) {
      const from = (alive[j] * stride + t) * F;
      for (let k = 0; k < F; k++) this.input[j * F + k] = features[from + k];
    }
    return this.input;
  }

  /**
   * a_t ~ πθ(·|s_t) from row j of the policy's output, recorded at `row` (with the policy's
   * entropy there); returns the action as the environment takes it.
   */
  private sampleAction(out: Float32Array, j: number, row: number, rng: Rng, std: Float32Array | null, gaussianEntropy: number): unknown {
    const { spec, batch } = this;
    const A = spec.actionDim;
    if (spec.action.kind === "discrete") {
      // Categorical: π(a|s) = softmax(logits)_a.
      const k = sampleCategorical(out, j * A, A, this.probs, rng);
      batch.entropySum += entropyOf(this.probs, A);
      batch.actionIndex[row] = k;
      return spec.action.start + k;
    }
    // Diagonal Gaussian: a = μ(s) + σ ⊙ ε, ε ~ N(0, I); the environment gets a clipped to its bounds.
    const sigma = std as Float32Array;
    const action: number[] = new Array(A);
    batch.entropySum += gaussianEntropy;
    for (let d = 0; d < A; d++) {
      const raw = out[j * A + d] + sigma[d] * normal(rng);
      batch.actionValue[row * A + d] = raw;
      action[d] = Math.min(spec.action.high[d], Math.max(spec.action.low[d], raw));
    }
    return action;
  }

  /**
   * Copy i takes a_t: s_{t+1} and r_{t+1} are checked and recorded. Returns whether its
   * episode ended, or null when a stop or the budget comes first.
   */
  private step(i: number, t: number, action: unknown, clock: RolloutClock): boolean | null {
    const { user, batch, spec } = this;
    const row = i * batch.stride + t;
    const length = t + 1;
    this.stepsTaken++;
    this.lastCopy = i;
    this.actionHistory?.[i].push(action);
    if (!clock.beforeStep()) return null;
    // The step, and reading what it returned, both under the watchdog.
    const p = this.pending;
    p.copy = i;
    p.action = action;
    p.ends = length >= batch.stride;
    p.nextAt = (row + 1) * spec.featureDim;
    const s = user.guarded("step", this.stepAndRead);
    clock.after("step");
    let r = s.reward;
    if (user.hasRewardExport) {
      r = this.shapedReward(i, row, action, s);
      clock.after("reward");
    }
    const rewardCall = user.hasRewardExport ? "reward" : "step";
    checkFinite(r, rewardCall, `${rewardCall}() returned a reward of ${r}`, "rewards");
    batch.rewards[row] = r;

    if (!(s.terminated || s.truncated || length >= batch.stride)) return false;
    checkEpisodeReturns(batch.rewards, i * batch.stride, length, rewardCall);
    batch.lengths[i] = length;
    batch.terminated[i] = s.terminated ? 1 : 0;
    return true;
  }

  /** The `reward` export's value; the copy of the next observation it saw becomes the current one. */
  private shapedReward(i: number, row: number, action: unknown, s: StepResult): number {
    const next = snapshot(s.observation);
    const { total, terms } = transitionReward(this.user, this.current[i], action, { ...s, observation: next });
    this.current[i] = next;
    if (terms) recordTerms(this.batch, row, terms);
    return total;
  }
}

/** A diagonal Gaussian's entropy, Σ_d (log σ_d + ½ log 2πe): the same in every state (0 for a categorical policy). */
function entropyOfGaussian(std: Float32Array | null): number {
  return std ? Array.from(std).reduce((h, s) => h + Math.log(s) + 0.5 * Math.log(2 * Math.PI * Math.E), 0) : 0;
}

/** Softmax of `logits[at..at+k]` into `probs`, then an inverse-CDF draw. */
function sampleCategorical(logits: Float32Array, at: number, k: number, probs: Float64Array, rng: Rng): number {
  let max = -Infinity;
  for (let a = 0; a < k; a++) max = Math.max(max, logits[at + a]);
  let sum = 0;
  for (let a = 0; a < k; a++) sum += probs[a] = Math.exp(logits[at + a] - max);
  for (let a = 0; a < k; a++) probs[a] /= sum;
  let u = rng();
  for (let a = 0; a < k - 1; a++) {
    u -= probs[a];
    if (u < 0) return a;
  }
  return k - 1;
}

/** H(π(·|s)) = −Σ_a π(a|s) log π(a|s). */
function entropyOf(probs: Float64Array, k: number): number {
  let h = 0;
  for (let a = 0; a < k; a++) if (probs[a] > 0) h -= probs[a] * Math.log(probs[a]);
  return h;
}
