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
import type { ProbeFacts, ProbeReport, ProbeRequest } from "./probeReport";
import { Reinforce } from "./reinforce";
import { episodeReturns } from "./returns";
import { LockstepRollout, concatBatches, type EpisodeBatch } from "./rollout";
import { resolveSettings } from "./settings";
import { tf } from "./tf";
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

export class ProbeCancelled extends Error {}

export function probe(user: UserEnvironmentModule, guard: Cancellation, request: ProbeRequest): ProbeReport {
  const start = performance.now();
  const settings = resolveSettings(user.training, request.overrides);
  const first = user.create();
  const spec = user.guarded("construct", () => describeEnvironment(first));
  const reset = checkResetSeeding(user, spec);
  const agent = new Reinforce(spec, settings);
  try {
    const batch = sampleEpisodes(user, guard, spec, first, settings, agent, request, start);
    const measured = measure(agent, batch, settings);
    // With an adaptive budget the replay checks stop a grace period after it (they take milliseconds on a
    // fast environment); stopped, they claim nothing (no exact values, not independent).
    const deadline = request.episodes === undefined ? start + request.budgetMs + REPLAY_GRACE_MS : Infinity;
    const enumeration = enumerate(user, spec, deadline);
    if (enumeration) {
      const exact = exactGradient(agent.policy, spec, enumeration, settings.baseline, batch.n);
      measured.stats.exact = {
        gradNormSq: exact.gradNormSq,
        traceCov: exact.traceCov,
        episodes: exact.episodes,
        replaysPerAction: exact.replaysPerAction,
      };
    }
    const returns = episodeReturns(batch);
    const constant = constantReward(batch);
    // Equal returns everywhere already say the actions do not matter: no replays needed.
    const independence = constant === null ? testActionIndependence(user, spec, deadline) : { independent: true, episodes: 0 };
    const facts: ProbeFacts = {
      episodesPerUpdate: settings.episodesPerUpdate,
      baseline: settings.baseline,
      milliseconds: 0,
      maxEpisodeSteps: spec.maxEpisodeSteps,
      endedEpisodes: countEnded(spec, batch),
      constantReward: constant,
      nonZeroReturnEpisodes: returns.filter((r) => r !== 0).length,
      actionIndependent: independence.independent,
      actionIndependenceEpisodes: independence.episodes,
      resetDeterministic: reset.deterministic,
      resetReseedsRng: reset.reseedsRng,
      resetIgnoresSeed: reset.ignoresSeed,
      stepsDeterministic: reset.stepsDeterministic,
    };
    facts.milliseconds = performance.now() - start;
    return { stats: measured.stats, summary: measured.summary, facts };
  } finally {
    agent.dispose();
  }
}

function sampleEpisodes(
  user: UserEnvironmentModule,
  guard: Cancellation,
  spec: EnvSpec,
  first: ReturnType<UserEnvironmentModule["create"]>,
  settings: TrainingSettings,
  agent: Reinforce,
  request: ProbeRequest,
  start: number,
): EpisodeBatch {
  const rng = makeRng(`${settings.seed}/probe`);
  const collect = (rollout: LockstepRollout) => rollout.collect(agent.policy, rng) ?? cancelled();
  if (request.episodes !== undefined) return collect(new LockstepRollout(user, spec, request.episodes, settings.seed, guard, first));
  const perUpdate = settings.episodesPerUpdate;
  const rollout = new LockstepRollout(user, spec, perUpdate, settings.seed, guard, first);
  const parts: EpisodeBatch[] = [];
  let episodes = 0;
  // At least two updates' worth, then as many more as the budget allows.
  do {
    parts.push(concatBatches([collect(rollout)])); // the rollout reuses its buffers: keep a copy
    episodes += perUpdate;
  } while (
    (episodes < 2 * perUpdate || performance.now() - start < SAMPLING_SHARE * request.budgetMs) &&
    episodes + perUpdate <= MAX_ADAPTIVE_EPISODES
  );
  return concatBatches(parts);
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
