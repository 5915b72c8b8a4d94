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
/** Seeds replayed with other actions to test whether returns depend on actions. */
const INDEPENDENCE_SEEDS = 8;

export class ProbeCancelled extends Error {}

export function probe(user: UserModule, guard: CallGuard, request: ProbeRequest): ProbeReport {
  const start = performance.now();
  const settings = resolveSettings(user.training, request.overrides);
  const first = user.create();
  const spec = user.guarded("construct", () => describeEnvironment(first));
  const reset = checkResetSeeding(user, spec);
  const agent = new Reinforce(spec, settings);
  try {
    const batch = sampleEpisodes(user, guard, spec, first, settings, agent, request, start);
    const measured = measure(agent, batch, settings);
    const enumeration = enumerate(user, spec);
    if (enumeration) {
      const { gradNormSq, traceCov } = exactGradient(agent.policy, spec, enumeration, settings.baseline);
      measured.stats.exact = { gradNormSq, traceCov };
    }
    const returns = episodeReturns(batch);
    const facts: ProbeFacts = {
      episodesPerUpdate: settings.episodesPerUpdate,
      baseline: settings.baseline,
      milliseconds: 0,
      maxEpisodeSteps: spec.maxEpisodeSteps,
      endedEpisodes: countEnded(spec, batch),
      constantReward: constantReward(batch),
      nonZeroReturnEpisodes: returns.filter((r) => r !== 0).length,
      actionIndependent: returnsIgnoreActions(user, spec, INDEPENDENCE_SEEDS),
      actionIndependenceEpisodes: 2 * INDEPENDENCE_SEEDS,
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
  user: UserModule,
  guard: CallGuard,
  spec: EnvSpec,
  first: ReturnType<UserModule["create"]>,
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
