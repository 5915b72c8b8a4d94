/**
 * The variance probe: a short run of the current (initial) policy, no update, that
 * measures the gradient statistics of design §3 and the facts the reward diagnostics
 * rest on. Its episode count adapts to a time budget unless the caller asks for an
 * exact number. `check/rules.ts` turns its report into diagnostics.
 */
import { performance } from "node:perf_hooks";
import type { Distribution, ProbeStats, RewardSummary, RewardTermShare, TrainingSettings } from "../protocol";
import { makeRng } from "../runtime/index";
import { testActionIndependence } from "./actionIndependence";
import { describeEnvironment, type EnvSpec } from "./envSpec";
import { checkResetSeeding } from "./envChecks";
import { enumerate, exactGradient } from "./exact";
import { snrAt } from "./gradientStats";
import { MAX_ROLLOUT_BYTES, checkTrainingSize, rolloutRowBytes } from "./limits";
import type { ProbeFacts, ProbeReport, ProbeRequest } from "./probeReport";
import { Reinforce } from "./reinforce";
import { episodeReturns } from "./returns";
import { LockstepRollout, concatBatches, type EpisodeBatch } from "./rollout";
import { resolveSettings } from "./settings";
import { tf } from "./tf";
import { UserTimeBudget, type ProbeTime } from "./timeBound";
import type { Cancellation, UserEnvironmentModule } from "./userCode";

/** Never more than this many episodes when adapting to the budget. */
const MAX_ADAPTIVE_EPISODES = 256;
/**
 * Sampling stops at this fraction of the time budget: the gradient pass over the sampled
 * episodes, the contract checks and the enumeration take about as long again.
 */
const SAMPLING_SHARE = 0.4;

/** How far past the probe's budget the replay checks (enumeration, action independence) may run. */
const REPLAY_GRACE_MS = 1000;
/**
 * The probe's time bound (time spent in user calls, see `UserTimeBudget`) is its budget, but
 * never under this: the examples' user code takes a few milliseconds of a probe, so only a
 * slow environment meets the bound. A call started before the bound runs to its end (at
 * most the call time limit): that is the overrun.
 */
const MIN_TIME_BOUND_MS = 1000;

export class ProbeCancelled extends Error {}

export function probe(user: UserEnvironmentModule, guard: Cancellation, request: ProbeRequest): ProbeReport {
  const start = performance.now();
  const settings = resolveSettings(user.training, request.overrides);
  const first = user.create();
  const spec = user.guarded("construct", () => describeEnvironment(first));
  checkTrainingSize(spec, settings);
  // The time bound, in time spent in user calls: none when an exact episode count was asked for (design §4).
  const limitMs = Math.max(request.budgetMs, MIN_TIME_BOUND_MS);
  const budget = request.episodes === undefined ? new UserTimeBudget(limitMs) : undefined;
  const agent = new Reinforce(spec, settings);
  try {
    const sample = sampleEpisodes(user, guard, spec, first, settings, agent, request, start, budget);
    sample.time.limitMs = limitMs;
    const reset = checkResetSeeding(user, spec, budget);
    const batch = sample.batch;
    const measured = batch && measure(agent, batch, settings);
    // With an adaptive budget the replay checks stop a grace period after it (they take milliseconds on a
    // fast environment); stopped, they claim nothing (no exact values, not independent).
    const deadline = request.episodes === undefined ? start + request.budgetMs + REPLAY_GRACE_MS : Infinity;
    // Enumeration takes two steps per action: only when they fit in what is left of the time bound.
    const enumerationMs = spec.action.kind === "discrete" ? 2 * spec.action.n * (sample.time.stepMs ?? 0) : 0;
    const fits = !budget || budget.spentMs + enumerationMs < budget.limitMs;
    const enumeration = batch && measured && fits ? enumerate(user, spec, deadline) : null;
    if (batch && measured && enumeration) {
      const exact = exactGradient(agent.policy, spec, enumeration, settings.baseline, batch.n);
      measured.stats.exact = {
        gradNormSq: exact.gradNormSq,
        traceCov: exact.traceCov,
        episodes: exact.episodes,
        replaysPerAction: exact.replaysPerAction,
      };
    }
    const returns = batch ? episodeReturns(batch) : [];
    const constant = batch ? constantReward(batch) : null;
    // Equal returns everywhere already say the actions do not matter: no replays needed. Out of
    // time before a complete batch: no independence test either (it would claim nothing).
    const independence =
      !batch || budget?.exhausted
        ? { independent: false, episodes: 0 }
        : constant === null
          ? testActionIndependence(user, spec, deadline)
          : { independent: true, episodes: 0 };
    const facts: ProbeFacts = {
      episodesPerUpdate: settings.episodesPerUpdate,
      baseline: settings.baseline,
      milliseconds: 0,
      maxEpisodeSteps: spec.maxEpisodeSteps,
      endedEpisodes: batch ? countEnded(spec, batch) : 0,
      constantReward: constant,
      nonZeroReturnEpisodes: returns.filter((r) => r !== 0).length,
      actionIndependent: independence.independent,
      actionIndependenceEpisodes: independence.episodes,
      // Not measured (out of time) reads as healthy: no warning without evidence.
      resetDeterministic: reset?.deterministic ?? true,
      resetReseedsRng: reset?.reseedsRng ?? true,
      resetIgnoresSeed: reset?.ignoresSeed ?? false,
      stepsDeterministic: reset?.stepsDeterministic ?? true,
      ...(reset ? { nondeterminism: reset.nondeterminism } : {}),
      time: sample.time,
    };
    facts.milliseconds = performance.now() - start;
    return { stats: measured?.stats ?? null, summary: measured?.summary ?? null, facts };
  } finally {
    agent.dispose();
  }
}

/**
 * The episodes to measure: exactly `request.episodes`, or at least two updates' worth and
 * as many more as the budget allows. At the deadline the complete batches so far are kept
 * (null when there is none), and what was seen is reported for `slow-step`.
 */
function sampleEpisodes(
  user: UserEnvironmentModule,
  guard: Cancellation,
  spec: EnvSpec,
  first: ReturnType<UserEnvironmentModule["create"]>,
  settings: TrainingSettings,
  agent: Reinforce,
  request: ProbeRequest,
  start: number,
  budget: UserTimeBudget | undefined,
): { batch: EpisodeBatch | null; time: ProbeTime } {
  const rng = makeRng(`${settings.seed}/probe`);
  const exact = request.episodes !== undefined;
  const perUpdate = exact ? (request.episodes as number) : settings.episodesPerUpdate;
  const wanted = exact ? perUpdate : 2 * perUpdate;
  const rollout = new LockstepRollout(user, spec, perUpdate, settings.seed, guard, first, true, exact ? "probe" : "training");
  const parts: EpisodeBatch[] = [];
  let episodes = 0;
  // The kept copies hold every episode at full stride: as many as the rollout memory limit allows.
  const inMemory = Math.floor(MAX_ROLLOUT_BYTES / (spec.maxEpisodeSteps * rolloutRowBytes(spec)));
  do {
    const batch = rollout.collect(agent.policy, rng, perUpdate, { budget });
    if (!batch) {
      if (rollout.outOfTime) break;
      cancelled();
    }
    parts.push(exact ? batch : concatBatches([batch])); // the rollout reuses its buffers: keep a copy
    episodes += perUpdate;
  } while (
    !exact &&
    (episodes < wanted || performance.now() - start < SAMPLING_SHARE * request.budgetMs) &&
    episodes + perUpdate <= Math.min(MAX_ADAPTIVE_EPISODES, inMemory)
  );
  const batch = parts.length === 0 ? null : parts.length === 1 ? parts[0] : concatBatches(parts);
  const t = rollout.timing;
  let steps = 0;
  if (batch) for (let i = 0; i < batch.n; i++) steps += batch.lengths[i];
  const time: ProbeTime = {
    limitMs: 0,
    stoppedEarly: rollout.outOfTime && episodes < wanted,
    episodes,
    wanted,
    stepCalls: t.stepCalls,
    stepMs: t.stepCalls ? t.stepMs / t.stepCalls : null,
    rewardMs: t.rewardCalls ? t.rewardMs / t.rewardCalls : null,
    meanEpisodeLength: episodes ? steps / episodes : null,
  };
  return { batch, time };
}

function cancelled(): never {
  throw new ProbeCancelled();
}

/**
 * The statistics of Ψ over all sampled episodes, through the update's own pipeline (no
 * step taken), stated at the probe's N and at one update's N, and the reward summary with
 * each named term's share of the gradient variance.
 */
export function measure(agent: Reinforce, batch: EpisodeBatch, settings: TrainingSettings): { stats: ProbeStats; summary: RewardSummary } {
  const { gradient, moments, termShares } = agent.measure(batch, { terms: true, deviations: true });
  tf.dispose(moments.step);
  const atEpisodesPerUpdate = snrAt(gradient, settings.episodesPerUpdate);
  const returnDist = distribution(episodeReturns(batch));
  const terms: RewardTermShare[] = [...batch.terms.entries()].map(([name, rewards]) => ({
    name,
    meanReturn: episodeReturns(batch, rewards).reduce((s, v) => s + v, 0) / batch.n,
    varianceShare: termShares?.[name] ?? 0,
  }));
  return {
    stats: { episodes: batch.n, returnMean: returnDist.mean, returnStd: returnDist.std, gradient, atEpisodesPerUpdate, exact: null },
    summary: {
      episodes: batch.n,
      rewards: distribution(stepRewards(batch)),
      returns: returnDist,
      atEpisodesPerUpdate,
      baselineReduction: gradient.baselineReduction,
      terms,
      traceCovRelativeError: moments.deviations ? relativeErrorOfMean(moments.deviations) : null,
      gradNormSqRelativeError: gradNormSqRelativeError(gradient.gradNormSq, gradient.traceCov, batch.n),
    },
  };
}

/** Standard error of a mean over the mean itself (here: of traceCov, from ‖g_i − ĝ‖²). */
function relativeErrorOfMean(xs: Float64Array): number | null {
  const n = xs.length;
  if (n < 2) return null;
  const m = xs.reduce((s, v) => s + v, 0) / n;
  if (m === 0) return null;
  const sd = Math.sqrt(xs.reduce((s, v) => s + (v - m) ** 2, 0) / (n - 1));
  return sd / Math.sqrt(n) / m;
}

/**
 * ‖ĝ‖² − tc/N estimates ‖∇J‖² with variance ≈ 4 ∇Jᵀ Σ ∇J / N + 2 tr(Σ²)/N²; bounding the
 * quadratic forms by an isotropic Σ (tr Σ = tc) gives the error below, relative to the estimate.
 */
function gradNormSqRelativeError(gradNormSq: number, traceCov: number, n: number): number | null {
  if (gradNormSq <= 0) return null;
  const noise = traceCov / n;
  return Math.sqrt(4 * gradNormSq * noise + 2 * noise * noise) / gradNormSq;
}

function stepRewards(batch: EpisodeBatch): number[] {
  const out: number[] = [];
  for (let i = 0; i < batch.n; i++) for (let t = 0; t < batch.lengths[i]; t++) out.push(batch.rewards[i * batch.stride + t]);
  return out;
}

function distribution(xs: number[]): Distribution {
  const n = xs.length;
  if (n === 0) return { mean: 0, std: 0, min: 0, max: 0 };
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (const x of xs) {
    sum += x;
    if (x < min) min = x;
    if (x > max) max = x;
  }
  const mean = sum / n;
  const std = Math.sqrt(xs.reduce((s, x) => s + (x - mean) ** 2, 0) / Math.max(n - 1, 1));
  return { mean, std, min, max };
}

function countEnded(spec: EnvSpec, batch: EpisodeBatch): number {
  let ended = 0;
  for (let i = 0; i < batch.n; i++) if (batch.terminated[i] || batch.lengths[i] < spec.maxEpisodeSteps) ended++;
  return ended;
}

/** The common reward when every sampled reward is one value and every episode equally long (all returns equal). */
function constantReward(batch: EpisodeBatch): number | null {
  const value = batch.rewards[0];
  for (let i = 0; i < batch.n; i++) {
    if (batch.lengths[i] !== batch.lengths[0]) return null;
    for (let t = 0; t < batch.lengths[i]; t++) if (batch.rewards[i * batch.stride + t] !== value) return null;
  }
  return value;
}
