/**
 * Runs N copies of an environment in lockstep, one episode each, with one batched
 * policy forward per time step for all copies still running. Episodes are laid out
 * episode-major with a stride of `maxEpisodeSteps`, ready to be packed into the padded
 * batch of the per-episode gradient pass.
 */
import { normal, type Environment, type Rng } from "../runtime/index";
import { performance } from "node:perf_hooks";
import { fail, type Cancellation, type UserEnvironmentModule } from "./userCode";
import {
  checkEpisodeReturns,
  checkFinite,
  checkReset,
  checkStep,
  failIfAsync,
  show,
  snapshot,
  writeFeatures,
  type EnvSpec,
  type StepResult,
} from "./envSpec";
import { checkRolloutSize } from "./limits";
import type { CpuTimeBudget } from "./timeBound";

/** N finished episodes. Row `i * stride + t` holds step t of episode i. */
export interface EpisodeBatch {
  n: number;
  stride: number;
  lengths: Int32Array;
  /** Policy input features of s_t. */
  features: Float32Array;
  /** Discrete: index of a_t (0-based). */
  actionIndex: Int32Array;
  /** Box: the sampled (unclipped) Gaussian action. */
  actionValue: Float32Array;
  /** r_{t+1}, the reward that followed a_t (the `reward` export's sum when present). */
  rewards: Float64Array;
  /** Named reward terms, when the `reward` export returns an object. */
  terms: Map<string, Float64Array>;
  /** Whether each episode ended by termination (else truncation). */
  terminated: Uint8Array;
  /** Sum over steps of the policy's entropy, for the metrics. */
  entropySum: number;
}

/** The part of the policy the rollout needs: outputs for a batch of feature rows. */
export interface ActingPolicy {
  /** Discrete: logits; Box: Gaussian means. `n` rows of `spec.actionDim`. */
  predict(features: Float32Array, n: number): Float32Array;
  /** Box only: standard deviations per action dimension. */
  std(): Float32Array | null;
}

/** Optional limits and hooks of one `collect`. */
export interface CollectOptions {
  /** The probe's CPU-time bound: no user call starts once it is spent. */
  budget?: CpuTimeBudget;
  /** Called between user calls at least every TICK_MS while the rollout runs (heartbeats). */
  onTick?(): void;
}

/** Time spent in user calls, summed over the rollout's life (measured per call only when asked). */
export interface CallTiming {
  stepCalls: number;
  stepMs: number;
  rewardCalls: number;
  rewardMs: number;
}

/** How often `onTick` runs at least, in milliseconds. */
export const TICK_MS = 250;
/**
 * Per-call clock reads cost about 1% of a fast step, so they are made only when needed: with
 * a budget, with timing asked, or for heartbeats while a time step of the lockstep takes
 * longer than this.
 */
const SLOW_TIME_STEP_MS = 10;

export class LockstepRollout {
  readonly envs: Environment<unknown, unknown>[];
  private readonly current: unknown[];
  /** Whether copy i has had its first, seeded, reset. */
  private readonly started: boolean[];
  private readonly input: Float32Array;
  /** Where a final observation is written to be checked; no action follows it. */
  private readonly finalFeatures: Float32Array;
  private readonly batch: EpisodeBatch;
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
    const rows = n * spec.maxEpisodeSteps;
    this.batch = {
      n,
      stride: spec.maxEpisodeSteps,
      lengths: new Int32Array(n),
      features: new Float32Array(rows * spec.featureDim),
      actionIndex: new Int32Array(spec.action.kind === "discrete" ? rows : 0),
      actionValue: new Float32Array(spec.action.kind === "box" ? rows * spec.actionDim : 0),
      rewards: new Float64Array(rows),
      terms: new Map(),
      terminated: new Uint8Array(n),
      entropySum: 0,
    };
  }

  /**
   * One episode on each of the first `count` copies (all by default). The first episode of
   * copy i is reset with seed `seed + i`; later ones continue that copy's stream
   * (Gymnasium's vector-env convention). Returns null when cancelled or when the budget is
   * spent (then `outOfTime` is set). The returned batch is reused by the next call.
   */
  collect(policy: ActingPolicy, rng: Rng, count = this.n, options: CollectOptions = {}): EpisodeBatch | null {
    const { spec, batch, envs, user, guard, timing, timed } = this;
    const { budget, onTick } = options;
    this.outOfTime = false;
    this.stepsTaken = 0;
    let lastTick = performance.now();
    // Between user calls, when the clock is read per call: heartbeats, and whether the budget allows another call.
    const mayCall = (now: number): boolean => {
      if (onTick && now - lastTick >= TICK_MS) {
        lastTick = now;
        onTick();
      }
      if (!budget?.exhausted) return true;
      this.outOfTime = true;
      return false;
    };
    const n = Math.min(count, this.n);
    const F = spec.featureDim;
    const A = spec.actionDim;
    const stride = batch.stride;
    batch.lengths.fill(0);
    batch.terminated.fill(0);
    batch.entropySum = 0;
    for (const arr of batch.terms.values()) arr.fill(0);

    // The reward export sees observations as they were: copies, in case step mutates and returns one array.
    const keep = user.hasRewardExport ? snapshot : (obs: unknown) => obs;
    for (let i = 0; i < n; i++) {
      if ((budget || onTick) && !mayCall(performance.now())) return null;
      const seed = this.started[i] ? undefined : this.seed + i;
      this.lastCopy = i;
      const reset = () =>
        user.guarded("reset", () => {
          const obs = checkReset(envs[i].reset(seed));
          writeFeatures(spec, obs, batch.features, i * stride * F, "reset");
          return keep(obs);
        });
      this.current[i] = reset();
      this.started[i] = true;
    }

    const alive: number[] = Array.from({ length: n }, (_, i) => i);
    const std = policy.std();
    // A diagonal Gaussian's entropy, Σ_d (log σ_d + ½ log 2πe), is the same in every state.
    const gaussianEntropy = std ? Array.from(std).reduce((h, s) => h + Math.log(s) + 0.5 * Math.log(2 * Math.PI * Math.E), 0) : 0;
    const probs = new Float64Array(A);
    // The guarded step, made once: the closure reads these, set before each call.
    let env = envs[0];
    let action: unknown;
    let ends = false;
    let nextAt = 0;
    const stepAndRead = () => {
      const result = checkStep(env.step(action));
      ends = result.terminated || result.truncated || ends;
      writeFeatures(spec, result.observation, ends ? this.finalFeatures : batch.features, ends ? 0 : nextAt, "step");
      return result;
    };
    // With heartbeats only, the clock is read per call while time steps are slow (the first one is not known yet).
    const alwaysPerCall = timed || budget !== undefined;
    let perCall = alwaysPerCall || onTick !== undefined;
    for (let t = 0; alive.length > 0; t++) {
      if (guard.cancelled) return null;
      const timeStepStart = performance.now();
      if (onTick) mayCall(timeStepStart); // a heartbeat between time steps
      const m = alive.length;
      for (let j = 0; j < m; j++) {
        const from = (alive[j] * stride + t) * F;
        for (let k = 0; k < F; k++) this.input[j * F + k] = batch.features[from + k];
      }
      const out = policy.predict(this.input, m);

      let write = 0;
      for (let j = 0; j < m; j++) {
        const i = alive[j];
        const row = i * stride + t;
        if (spec.action.kind === "discrete") {
          const k = sampleCategorical(out, j * A, A, probs, rng);
          batch.entropySum += entropyOf(probs, A);
          batch.actionIndex[row] = k;
          action = spec.action.start + k;
        } else {
          const a: number[] = new Array(A);
          batch.entropySum += gaussianEntropy;
          for (let d = 0; d < A; d++) {
            const raw = out[j * A + d] + (std as Float32Array)[d] * normal(rng);
            batch.actionValue[row * A + d] = raw;
            a[d] = Math.min(spec.action.high[d], Math.max(spec.action.low[d], raw));
          }
          action = a;
        }

        const length = t + 1;
        this.stepsTaken++;
        this.lastCopy = i;
        this.actionHistory?.[i].push(action);
        // The step, and reading what it returned, both under the watchdog.
        env = envs[i];
        ends = length >= stride;
        nextAt = (row + 1) * F;
        let s: StepResult;
        let r: number;
        if (perCall) {
          const before = performance.now();
          if (guard.cancelled || !mayCall(before)) return null;
          s = user.guarded("step", stepAndRead);
          const between = performance.now();
          r = user.hasRewardExport ? this.shapedReward(i, row, action, s, keep) : s.reward;
          const after = user.hasRewardExport ? performance.now() : between;
          if (timed) {
            timing.stepCalls++;
            timing.stepMs += between - before;
            if (user.hasRewardExport) {
              timing.rewardCalls++;
              timing.rewardMs += after - between;
            }
          }
        } else {
          s = user.guarded("step", stepAndRead);
          r = user.hasRewardExport ? this.shapedReward(i, row, action, s, keep) : s.reward;
        }
        const rewardCall = user.hasRewardExport ? "reward" : "step";
        checkFinite(r, rewardCall, `${rewardCall}() returned a reward of ${r}`, "rewards");
        batch.rewards[row] = r;

        if (s.terminated || s.truncated || length >= stride) {
          checkEpisodeReturns(batch.rewards, i * stride, length, rewardCall);
          batch.lengths[i] = length;
          batch.terminated[i] = s.terminated ? 1 : 0;
        } else {
          if (!user.hasRewardExport) this.current[i] = s.observation;
          alive[write++] = i;
        }
      }
      alive.length = write;
      if (!alwaysPerCall && onTick) perCall = performance.now() - timeStepStart > SLOW_TIME_STEP_MS;
    }
    batch.n = n;
    return batch;
  }

  /** The `reward` export's value; the copy of the next observation it saw becomes the current one. */
  private shapedReward(i: number, row: number, action: unknown, s: StepResult, keep: (obs: unknown) => unknown): number {
    const next = keep(s.observation);
    const { total, terms } = transitionReward(this.user, this.current[i], action, { ...s, observation: next });
    this.current[i] = next;
    if (terms)
      for (const [name, value] of terms) {
        let column = this.batch.terms.get(name);
        if (!column) {
          column = new Float64Array(this.batch.rewards.length);
          this.batch.terms.set(name, column);
        }
        column[row] = value;
      }
    return total;
  }
}

/**
 * The reward of a transition: step's reward, or the `reward` export's number or the sum
 * of its named terms (validated).
 */
export function transitionReward(
  user: UserEnvironmentModule,
  observation: unknown,
  action: unknown,
  s: StepResult,
): { total: number; terms: [string, number][] | null } {
  if (!user.hasRewardExport) return { total: s.reward, terms: null };
  return user.guarded("reward", () => {
    const value = user.reward({
      observation,
      action,
      nextObservation: s.observation,
      envReward: s.reward,
      terminated: s.terminated,
      truncated: s.truncated,
      info: s.info,
    });
    if (typeof value === "number") return { total: value, terms: null };
    failIfAsync(value, "reward");
    if (typeof value !== "object" || value === null || Array.isArray(value))
      fail("bad-step", "reward", `reward() must return a number or an object of named terms, got ${show(value)}`);
    let total = 0;
    const terms: [string, number][] = [];
    for (const [name, term] of Object.entries(value as Record<string, unknown>)) {
      if (typeof term !== "number") fail("bad-step", "reward", `reward() term "${name}" is ${show(term)}, expected a number`);
      checkFinite(term, "reward", `reward() term "${name}" is ${term}`, "rewards");
      terms.push([name, term]);
      total += term;
    }
    return { total, terms };
  });
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

function entropyOf(probs: Float64Array, k: number): number {
  let h = 0;
  for (let a = 0; a < k; a++) if (probs[a] > 0) h -= probs[a] * Math.log(probs[a]);
  return h;
}

/** Episodes of several batches (same stride) as one batch (a copy). */
export function concatBatches(batches: EpisodeBatch[]): EpisodeBatch {
  // An array with `perEpisode` entries per environment copy; each batch contributes its first n episodes.
  const join = <T extends Float32Array | Float64Array | Int32Array | Uint8Array>(
    get: (b: EpisodeBatch) => T,
    perEpisode: (b: EpisodeBatch) => number,
  ): T => {
    const parts = batches.map((b) => get(b).subarray(0, b.n * perEpisode(b)));
    const out = new (get(batches[0]).constructor as new (length: number) => T)(parts.reduce((s, p) => s + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p as never, at);
      at += p.length;
    }
    return out;
  };
  // Row arrays hold `stride` rows per copy, of however many values per row.
  const rows = <T extends Float32Array | Float64Array | Int32Array>(get: (b: EpisodeBatch) => T) =>
    join(get, (b) => (b.stride * get(b).length) / b.rewards.length);
  const terms = new Map<string, Float64Array>();
  for (const name of new Set(batches.flatMap((b) => [...b.terms.keys()])))
    terms.set(
      name,
      rows((b) => b.terms.get(name) ?? new Float64Array(b.rewards.length)),
    );
  return {
    n: batches.reduce((s, b) => s + b.n, 0),
    stride: batches[0].stride,
    lengths: join(
      (b) => b.lengths,
      () => 1,
    ),
    features: rows((b) => b.features),
    actionIndex: rows((b) => b.actionIndex),
    actionValue: rows((b) => b.actionValue),
    rewards: rows((b) => b.rewards),
    terms,
    terminated: join(
      (b) => b.terminated,
      () => 1,
    ),
    entropySum: batches.reduce((s, b) => s + b.entropySum, 0),
  };
}
