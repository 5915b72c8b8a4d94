/**
 * The variance probe: a short run of the current (initial) policy, no update, that
 * measures the gradient statistics of design §3 and the facts the reward diagnostics
 * rest on. Its episode count adapts to a time budget unless the caller asks for an
 * exact number. `check/rules.ts` turns its report into diagnostics.
 */
import { performance } from "node:perf_hooks";
import type { Distribution, ProbeStats, RewardSummary, RewardTermShare, TrainingSettings } from "../protocol";
import { makeRng } from "../runtime/index";
import type { CallGuard } from "../sandbox/callGuard";
import type { ProbeFacts, ProbeReport, ProbeRequest } from "../sandbox/messages";
import type { UserModule } from "../sandbox/userModule";
import { checkReset, checkStep, describeEnvironment, writeFeatures, type EnvSpec } from "./envSpec";
import { checkResetSeeding, returnsIgnoreActions } from "./envChecks";
import { exactGradient, type Enumeration } from "./exact";
import { baselineReduction, gradientStats } from "./gradientStats";
import { Reinforce, columnMoments, episodeGradients, padBatch, rewardToGo, withMeanBaseline, type EpisodeGradients } from "./reinforce";
import { MAX_ROLLOUT_BYTES, checkTrainingSize, rolloutRowBytes } from "./limits";
import { UserTimeBudget, type ProbeTime } from "./timeBound";
import { LockstepRollout, concatBatches, transitionReward, type EpisodeBatch } from "./rollout";
import { resolveSettings } from "./settings";
import { episodeReturns } from "./train";
import { tf } from "./tf";

/** Never more than this many episodes when adapting to the budget. */
const MAX_ADAPTIVE_EPISODES = 256;
/**
 * Sampling stops at this fraction of the time budget: the gradient pass over the sampled
 * episodes, the contract checks and the enumeration take about as long again.
 */
const SAMPLING_SHARE = 0.4;
/**
 * The probe's time bound (time spent in user calls, see `UserTimeBudget`) is its budget, but
 * never under this: the examples' user code takes a few milliseconds of a probe, so only a
 * slow environment meets the bound. A call started before the bound runs to its end (at
 * most the call time limit): that is the overrun.
 */
const MIN_TIME_BOUND_MS = 1000;
/** Seeds replayed with other actions to test whether returns depend on actions. */
const INDEPENDENCE_SEEDS = 8;

export class ProbeCancelled extends Error {}

export function probe(user: UserModule, guard: CallGuard, request: ProbeRequest): ProbeReport {
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
    // Enumeration takes two steps per action: only when they fit in what is left of the budget.
    const enumerationMs = spec.action.kind === "discrete" ? 2 * spec.action.n * (sample.time.stepMs ?? 0) : 0;
    const enumeration = measured && (!budget || budget.spentMs + enumerationMs < budget.limitMs) ? enumerate(user, spec) : null;
    if (measured && enumeration) {
      const { gradNormSq, traceCov } = exactGradient(agent.policy, spec, enumeration, settings.baseline);
      measured.stats.exact = { gradNormSq, traceCov };
    }
    const returns = batch ? episodeReturns(batch) : [];
    const facts: ProbeFacts = {
      episodesPerUpdate: settings.episodesPerUpdate,
      baseline: settings.baseline,
      milliseconds: 0,
      maxEpisodeSteps: spec.maxEpisodeSteps,
      endedEpisodes: batch ? countEnded(spec, batch) : 0,
      constantReward: batch ? constantReward(batch) : null,
      nonZeroReturnEpisodes: returns.filter((r) => r !== 0).length,
      actionIndependent: (batch && returnsIgnoreActions(user, spec, INDEPENDENCE_SEEDS, budget)) ?? false,
      actionIndependenceEpisodes: 2 * INDEPENDENCE_SEEDS,
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
  user: UserModule,
  guard: CallGuard,
  spec: EnvSpec,
  first: ReturnType<UserModule["create"]>,
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
 * The statistics of Ψ over all sampled episodes (SNR stated for one update's N), and the
 * reward summary, with each named term's share of the gradient variance: g_i is linear
 * in Ψ, so g_i = Σ_k g_i^k with g^k from the term's own return-to-go (minus its share of
 * the mean baseline), and traceCov = Σ_k (1/(N−1)) Σ_i ⟨g_i^k − ĝ^k, g_i − ĝ⟩.
 */
export function measure(agent: Reinforce, batch: EpisodeBatch, settings: TrainingSettings): { stats: ProbeStats; summary: RewardSummary } {
  const cols = agent.weightColumns(batch);
  const total = settings.baseline === "none" ? cols.none : cols.mean;
  const termNames = [...batch.terms.keys()];
  const columns = [...cols.columns, ...termNames.map((name) => termColumn(batch, settings, name))];
  const padded = padBatch(batch, agent.spec, columns);
  const grads = episodeGradients(agent.policy, padded);
  const m = columnMoments(grads, batch.n, padded.columns, cols.step);
  const extra = spreadDetails(grads, batch.n, padded.columns, cols.stats, total);
  tf.dispose([...grads.tensors, ...m.step]);

  const gradient = gradientStats(
    batch.n,
    m.traceCov[cols.stats],
    m.meanNormSq[cols.stats],
    baselineReduction(m.traceCov[cols.mean], m.traceCov[cols.none]),
    settings.episodesPerUpdate,
  );
  const returns = episodeReturns(batch);
  const returnDist = distribution(returns);
  const totalSpread = extra.cross[total];
  const terms: RewardTermShare[] = termNames.map((name, k) => ({
    name,
    meanReturn: episodeReturns({ ...batch, rewards: batch.terms.get(name) as Float64Array }).reduce((s, v) => s + v, 0) / batch.n,
    varianceShare: totalSpread > 0 ? extra.cross[cols.columns.length + k] / totalSpread : 0,
  }));
  return {
    stats: { episodes: batch.n, returnMean: returnDist.mean, returnStd: returnDist.std, gradient, exact: null },
    summary: {
      episodes: batch.n,
      episodesPerUpdate: settings.episodesPerUpdate,
      rewards: distribution(stepRewards(batch)),
      returns: returnDist,
      snr: gradient.snr,
      noiseScale: gradient.noiseScale,
      baselineReduction: gradient.baselineReduction,
      terms,
      traceCovRelativeError: relativeErrorOfMean(extra.deviations),
      gradNormSqRelativeError: gradNormSqRelativeError(gradient.gradNormSq, gradient.traceCov, batch.n),
    },
  };
}

/**
 * Σ_i ⟨g_i^(c) − ĝ^(c), g_i^(r) − ĝ^(r)⟩ for every column c against the reference column r
 * (a term's share of the spread of the total), and ‖g_i^(s) − ĝ^(s)‖² per episode for column s.
 */
function spreadDetails(
  g: EpisodeGradients,
  n: number,
  columns: number,
  s: number,
  r: number,
): { cross: Float64Array; deviations: Float64Array } {
  const [cross, deviations] = tf.tidy(() => {
    let cross: tf.Tensor = tf.zeros([columns]);
    let deviations: tf.Tensor = tf.zeros([n]);
    g.tensors.forEach((t, k) => {
      const { pre, post } = g.layout[k];
      const G = tf.reshape(t, [n, pre, columns, post]);
      const centred = tf.sub(G, tf.mean(G, 0));
      const reference = tf.slice(centred, [0, 0, r, 0], [n, pre, 1, post]);
      cross = tf.add(cross, tf.sum(tf.mul(centred, reference), [0, 1, 3]));
      deviations = tf.add(deviations, tf.sum(tf.square(tf.slice(centred, [0, 0, s, 0], [n, pre, 1, post])), [1, 2, 3]));
    });
    return [cross, deviations];
  });
  const out = { cross: Float64Array.from(cross.dataSync()), deviations: Float64Array.from(deviations.dataSync()) };
  tf.dispose([cross, deviations]);
  return out;
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
 * Ψ of one named term: its return-to-go, minus its part of the mean baseline (unless the
 * baseline is "none"). A value network is not split by term, so with `baseline: "value"`
 * the shares describe the mean-baseline estimate.
 */
function termColumn(batch: EpisodeBatch, settings: TrainingSettings, name: string): Float64Array {
  const G = rewardToGo(batch, settings.gamma, new Float64Array(batch.rewards.length), batch.terms.get(name));
  return settings.baseline === "none" ? G : withMeanBaseline(batch, G);
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

/**
 * An enumeration when the environment allows one: Discrete actions, one-step episodes,
 * the same start state whatever the seed, and the same reward for an action every time.
 */
export function enumerate(user: UserModule, spec: EnvSpec): Enumeration | null {
  const act = spec.action;
  if (act.kind !== "discrete" || spec.maxEpisodeSteps !== 1) return null;
  const env = user.create();
  const F = spec.featureDim;
  const start = new Float32Array(F);
  const other = new Float32Array(F);
  user.guarded("reset", () => writeFeatures(spec, checkReset(env.reset(0)), start, 0, "reset"));
  for (const seed of [1, 2]) {
    user.guarded("reset", () => writeFeatures(spec, checkReset(env.reset(seed)), other, 0, "reset"));
    if (other.some((v, k) => v !== start[k])) return null;
  }
  const rewards: number[] = [];
  for (let a = 0; a < act.n; a++) {
    const outcomes = [0, 1].map((seed) => {
      const obs = user.guarded("reset", () => checkReset(env.reset(seed)));
      const action = act.start + a;
      return transitionReward(
        user,
        obs,
        action,
        user.guarded("step", () => checkStep(env.step(action))),
      ).total;
    });
    if (outcomes[0] !== outcomes[1]) return null;
    rewards.push(outcomes[0]);
  }
  return { start, rewards };
}
