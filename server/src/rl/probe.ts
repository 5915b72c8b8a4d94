/**
 * The variance probe: a run of the current (initial) policy, no update, that measures the
 * gradient statistics of design §3 and the facts the reward diagnostics rest on.
 *
 * Its sample is fixed by the file, its settings and the seed, never by the clock (design §3):
 * K batches of n = `episodesPerUpdate` episodes, K = max(PROBE_MIN_GROUPS, ⌊PROBE_EPISODES/n⌋)
 * (256 episodes for the default n = 16), each formed and weighted exactly as a training
 * update forms it, so the statistics describe the estimate training steps along
 * (`probeStats.ts`). `--episodes N` asks for N episodes instead (batches of min(n, N)). The
 * only bound is on the CPU time of the probe's own thread (a slow environment), so a loaded
 * machine takes longer but concludes the same. `check/rules.ts` turns the report into diagnostics.
 */
import { performance } from "node:perf_hooks";
import type { Distribution, ProbeStats, RewardSummary, RewardTermShare, TrainingSettings } from "../protocol";
import { makeRng } from "../runtime/index";
import { testActionIndependence, type ActionDistribution } from "./actionIndependence";
import { describeEnvironment, type EnvSpec } from "./envSpec";
import { checkResetSeeding } from "./envChecks";
import { gymnasiumChecks } from "./gymnasiumChecks";
import { analyzeShaping } from "./shaping";
import { enumerate, exactGradient } from "./exact";
import { snrAt, statsOf } from "./gradientStats";
import { checkProbeEpisodes, checkTrainingSize } from "./limits";
import type { EpisodeEnd, ProbeFacts, ProbeReport, ProbeRequest } from "./probeReport";
import { estimate, interval, jackknife, snrOfBatch, type GroupSummary } from "./probeStats";
import { Reinforce } from "./reinforce";
import type { EpisodeBatch } from "./episodeBatch";
import { LockstepRollout } from "./rollout";
import { resolveSettings } from "./settings";
import { tf } from "./tf";
import { threadCpuMs } from "./threadCpuClock";
import { CpuTimeBudget, type ProbeTime } from "./timeBound";
import { UserCodeError, type Cancellation, type UserEnvironmentModule } from "./userCode";
import { replayable, shrinkFailingEpisode } from "./failingEpisode";

/** The probe's sample: this many episodes (in whole batches of `episodesPerUpdate`)… */
export const PROBE_EPISODES = 256;
/** …and never fewer than this many batches, so that every statistic has a standard error. */
export const PROBE_MIN_GROUPS = 4;
/**
 * The probe stops when its thread has spent this much CPU time (not wall time: a loaded
 * machine never meets it) before its sample is complete: `slow-step`, and no statistics.
 */
export const PROBE_CPU_LIMIT_MS = 5_000;
/** CPU time the shrinking of a failing episode may take (it replays the episode many times). */
const SHRINK_CPU_MS = 3_000;
/** The exact values are claimed only within this many standard errors of the Monte-Carlo traceCov (design §3). */
const EXACT_AGREEMENT_SE = 4;
/** Independence is never claimed while gradNormSq is more than this many standard errors above 0 (design §3). */
const INDEPENDENCE_SIGNAL_SE = 4;

export class ProbeCancelled extends Error {}

/** The batch sizes of the probe's sample (see the file comment). */
export function probeBatches(episodesPerUpdate: number, episodes?: number): number[] {
  if (episodes !== undefined) {
    const size = Math.min(episodesPerUpdate, episodes);
    const sizes = new Array<number>(Math.floor(episodes / size)).fill(size);
    if (episodes % size) sizes.push(episodes % size);
    return sizes;
  }
  return new Array<number>(Math.max(PROBE_MIN_GROUPS, Math.floor(PROBE_EPISODES / episodesPerUpdate))).fill(episodesPerUpdate);
}

export function probe(user: UserEnvironmentModule, guard: Cancellation, request: ProbeRequest): ProbeReport {
  const start = performance.now();
  const settings = resolveSettings(user.training, request.overrides);
  if (request.episodes !== undefined) checkProbeEpisodes(request.episodes);
  const first = user.create();
  const spec = user.guarded("construct", () => describeEnvironment(first));
  checkTrainingSize(spec, settings);
  // No bound when an exact episode count was asked for (design §4: however long they take).
  const budget = request.episodes === undefined ? new CpuTimeBudget(PROBE_CPU_LIMIT_MS) : undefined;
  // The probe takes no step: Ψ unnormalised, so the step's column is the statistics' column.
  const agent = new Reinforce(spec, { ...settings, normalizeAdvantages: false });
  try {
    const sample = sampleEpisodes(user, guard, spec, first, settings, agent, request, budget);
    const reset = checkResetSeeding(user, spec, budget);
    const contract = gymnasiumChecks(user, spec, budget);
    const complete = sample.groups.length > 0 && !sample.time.stoppedEarly;
    const measured = complete ? measure(sample, settings) : null;
    const outOfTime = () => budget?.exhausted === true;
    // Enumeration replays every action 32 times: cheap next to the sample, and bounded by the same CPU time.
    const enumeration = measured && !outOfTime() ? enumerate(user, spec, budget) : null;
    if (measured && enumeration) {
      const exact = exactGradient(agent.policy, spec, enumeration, settings.baseline, sample.groupSize);
      // Exact only where the Monte-Carlo estimate agrees with it: a rare random payout the replays missed shows here.
      const se = measured.traceCovSe;
      if (se !== null && Math.abs(exact.traceCov - measured.stats.gradient.traceCov) <= EXACT_AGREEMENT_SE * se)
        measured.stats.exact = measured.summary.exact = {
          gradNormSq: exact.gradNormSq,
          traceCov: exact.traceCov,
          episodes: exact.episodes,
          replaysPerAction: exact.replaysPerAction,
        };
    }
    // The shaping analysis replays the environment's state graph: cheap for the small finite ones it applies to, bounded by the CPU time.
    const shaping = measured && !outOfTime() ? analyzeShaping(user, spec, settings.seed, settings.gamma, budget) : null;
    if (measured && shaping)
      for (const t of measured.summary.terms) t.potentialBased = shaping.terms.find((x) => x.name === t.name)?.potentialBased;
    const constant = sample.facts.constant;
    // Equal returns everywhere already say the actions do not matter: no replays needed. A
    // gradient measured clearly above 0 says they do.
    const signal = measured ? measured.gradNormSqLower > 0 : false;
    const independence =
      !measured || signal || outOfTime()
        ? { independent: false, episodes: 0 }
        : constant.value !== null
          ? { independent: true, episodes: 0 }
          : testActionIndependence(user, spec, sample.actions, budget);
    const facts: ProbeFacts = {
      episodesPerUpdate: settings.episodesPerUpdate,
      baseline: settings.baseline,
      milliseconds: 0,
      maxEpisodeSteps: spec.maxEpisodeSteps,
      endedEpisodes: sample.facts.ended,
      constantReward: constant.value,
      nonZeroReturnEpisodes: sample.facts.nonZeroReturns,
      actionIndependent: independence.independent,
      actionIndependenceEpisodes: independence.episodes,
      // Not measured (out of time) reads as healthy: no warning without evidence.
      resetDeterministic: reset?.deterministic ?? true,
      resetReseedsRng: reset?.reseedsRng ?? true,
      resetIgnoresSeed: reset?.ignoresSeed ?? false,
      stepsDeterministic: reset?.stepsDeterministic ?? true,
      ...(reset ? { nondeterminism: reset.nondeterminism } : {}),
      time: sample.time,
      contract,
      shaping,
      episodeEnds: sample.facts.ends,
      meanStepReward: sample.facts.steps.value.mean,
      rewardThreshold: spec.rewardThreshold,
      // An enumerable environment's best action pays the most any episode can: a deterministic one-step reward.
      provableMaxReturn: enumeration ? Math.max(...enumeration.rewards) : null,
    };
    facts.milliseconds = performance.now() - start;
    return { stats: measured?.stats ?? null, summary: measured?.summary ?? null, facts };
  } finally {
    agent.dispose();
  }
}

/** What the sampled episodes say beyond the gradient: accumulated batch by batch (no episode is kept). */
class EpisodeFacts {
  returns: number[] = [];
  ends: EpisodeEnd[] = [];
  steps = new RunningDistribution();
  ended = 0;
  nonZeroReturns = 0;
  /** The one reward value and episode length of every episode so far (null once two differ). */
  constant: { value: number | null; length: number | null; seen: boolean } = { value: null, length: null, seen: false };
  termTotals = new Map<string, number>();

  add(spec: EnvSpec, batch: EpisodeBatch): void {
    for (let i = 0; i < batch.n; i++) {
      const length = batch.lengths[i];
      let total = 0;
      for (let t = 0; t < length; t++) {
        const r = batch.rewards[i * batch.stride + t];
        total += r;
        this.steps.add(r);
        this.constantStep(r, length);
      }
      this.returns.push(total);
      this.ends.push({
        length,
        return: total,
        terminated: batch.terminated[i] === 1,
        finalReward: length > 0 ? batch.rewards[i * batch.stride + length - 1] : 0,
      });
      if (total !== 0) this.nonZeroReturns++;
      if (batch.terminated[i] || length < spec.maxEpisodeSteps) this.ended++;
      for (const [name, rewards] of batch.terms) {
        let termTotal = 0;
        for (let t = 0; t < length; t++) termTotal += rewards[i * batch.stride + t];
        this.termTotals.set(name, (this.termTotals.get(name) ?? 0) + termTotal);
      }
    }
  }

  /** Every return is the same when every reward is one value and every episode as long, or when every reward is 0. */
  private constantStep(r: number, length: number): void {
    const c = this.constant;
    if (!c.seen) Object.assign(c, { value: r, length, seen: true });
    else if (c.value !== null && (r !== c.value || (length !== c.length && c.value !== 0))) c.value = null;
  }
}

/** Mean, standard deviation, min and max of a stream (Welford's update). */
class RunningDistribution {
  private n = 0;
  get count(): number {
    return this.n;
  }
  private mean = 0;
  private m2 = 0;
  private min = Infinity;
  private max = -Infinity;
  add(x: number): void {
    this.n++;
    const d = x - this.mean;
    this.mean += d / this.n;
    this.m2 += d * (x - this.mean);
    if (x < this.min) this.min = x;
    if (x > this.max) this.max = x;
  }
  get value(): Distribution {
    if (this.n === 0) return { mean: 0, std: 0, min: 0, max: 0 };
    return { mean: this.mean, std: Math.sqrt(this.m2 / Math.max(this.n - 1, 1)), min: this.min, max: this.max };
  }
}

interface Sample {
  groups: GroupSummary[];
  groupSize: number;
  facts: EpisodeFacts;
  /** π at the start: the initial policy is the same in every state (its last layer is zero). */
  actions: ActionDistribution;
  time: ProbeTime;
}

/**
 * The probe's batches, each measured as it comes (its per-episode gradients reduced to a
 * group summary) and its facts accumulated; the CPU-time bound stops it early.
 */
function sampleEpisodes(
  user: UserEnvironmentModule,
  guard: Cancellation,
  spec: EnvSpec,
  first: ReturnType<UserEnvironmentModule["create"]>,
  settings: TrainingSettings,
  agent: Reinforce,
  request: ProbeRequest,
  budget: CpuTimeBudget | undefined,
): Sample {
  const rng = makeRng(`${settings.seed}/probe`);
  const sizes = probeBatches(settings.episodesPerUpdate, request.episodes);
  const groupSize = sizes[0];
  const rollout = new LockstepRollout(
    user,
    spec,
    groupSize,
    settings.seed,
    guard,
    first,
    true,
    request.episodes !== undefined ? "probe" : "training",
  );
  const facts = new EpisodeFacts();
  const groups: GroupSummary[] = [];
  let actions: ActionDistribution | null = null;
  let episodes = 0;
  const cpuStart = threadCpuMs();
  const wallStart = performance.now();
  rollout.actionHistory = Array.from({ length: groupSize }, () => []);
  for (const size of sizes) {
    const batch = collectOrExplain(user, spec, rollout, settings.seed, () => rollout.collect(agent.policy, rng, size, { budget }));
    if (!batch) {
      if (rollout.outOfTime) break;
      throw new ProbeCancelled();
    }
    actions ??= actionDistribution(agent, spec, batch);
    facts.add(spec, batch);
    groups.push(summarize(agent, batch));
    episodes += size;
  }
  // The rollout times user calls on the wall clock; the thread's CPU share over the sampling turns that into CPU time.
  const cpuShare = Math.min(1, (threadCpuMs() - cpuStart) / Math.max(performance.now() - wallStart, 1e-9));
  const t = rollout.timing;
  const wanted = sizes.reduce((s, n) => s + n, 0);
  const time: ProbeTime = {
    limitMs: budget?.limitMs ?? Infinity,
    stoppedEarly: episodes < wanted,
    episodes,
    wanted,
    stepCalls: t.stepCalls,
    stepMs: t.stepCalls ? (cpuShare * t.stepMs) / t.stepCalls : null,
    rewardMs: t.rewardCalls ? (cpuShare * t.rewardMs) / t.rewardCalls : null,
    meanEpisodeLength: episodes ? facts.steps.count / episodes : null,
  };
  return { groups, groupSize, facts, actions: actions ?? uniformActions(spec), time };
}
/**
 * A batch, or — when user code fails on one copy — the failure with the episode that leads to
 * it (the copy's seed and its actions since, shrunk), so it can be replayed.
 */
function collectOrExplain(
  user: UserEnvironmentModule,
  spec: EnvSpec,
  rollout: LockstepRollout,
  seed: number,
  collect: () => EpisodeBatch | null,
): EpisodeBatch | null {
  try {
    return collect();
  } catch (error) {
    const copy = rollout.lastCopy;
    if (!(error instanceof UserCodeError) || !replayable(error.failure) || copy < 0 || !rollout.actionHistory) throw error;
    const episode = shrinkFailingEpisode(
      user,
      spec,
      seed + copy,
      rollout.actionHistory[copy],
      error.failure,
      new CpuTimeBudget(SHRINK_CPU_MS),
    );
    if (episode) error.failure.episode = episode;
    throw error;
  }
}

/** One batch reduced to its group summary (`probeStats.ts`) through the update's own pipeline. */
function summarize(agent: Reinforce, batch: EpisodeBatch): GroupSummary {
  const { columns, moments, termShares } = agent.measure(batch, { terms: true, direction: "mean" });
  const parts = moments.step.map((t) => t.dataSync());
  tf.dispose(moments.step);
  const sum = new Float64Array(parts.reduce((s, p) => s + p.length, 0));
  let at = 0;
  for (const p of parts) for (let k = 0; k < p.length; k++) sum[at++] = batch.n * p[k];
  const spread = moments.traceCov[columns.stats] * Math.max(batch.n - 1, 1);
  const termCross: Record<string, number> = {};
  for (const { name } of columns.terms) termCross[name] = (termShares?.[name] ?? 0) * spread;
  return {
    n: batch.n,
    sum,
    coupled: columns.stats === columns.mean,
    meanNormSq: {
      stats: moments.meanNormSq[columns.stats],
      none: moments.meanNormSq[columns.none],
      mean: moments.meanNormSq[columns.mean],
    },
    traceCov: { stats: moments.traceCov[columns.stats], none: moments.traceCov[columns.none] },
    spread,
    termCross,
  };
}

interface Measured {
  stats: ProbeStats;
  summary: RewardSummary;
  /** Standard error of the one-episode traceCov (null: too few batches). */
  traceCovSe: number | null;
  /** The lower end of gradNormSq's interval of INDEPENDENCE_SIGNAL_SE standard errors (−∞ without one). */
  gradNormSqLower: number;
}

/** The statistics of the sample (`probeStats.ts`), stated at the probe's N and at one update's N, with their intervals. */
function measure(sample: Sample, settings: TrainingSettings): Measured {
  const { groups, facts } = sample;
  const e = estimate(groups);
  const u = jackknife(groups);
  const gradient = statsOf(e.episodes, e.gradNormSq, e.traceCov, e.batchVariance * (e.groupSize / e.episodes), e.baselineReduction);
  const atEpisodesPerUpdate = snrAt(gradient, settings.episodesPerUpdate);
  // The SNR at n and the noise scale n/snr move together: one interval gives both.
  const snrInterval = sample.groupSize === settings.episodesPerUpdate ? interval(snrOfBatch(e), u.snr, u.t) : null;
  const noiseInterval: [number, number] | null = snrInterval
    ? [
        settings.episodesPerUpdate / Math.max(snrInterval[1], 1e-300),
        snrInterval[0] > 0 ? settings.episodesPerUpdate / snrInterval[0] : Infinity,
      ]
    : null;
  const returns = new RunningDistribution();
  for (const r of facts.returns) returns.add(r);
  const returnDist = returns.value;
  const terms: RewardTermShare[] = [...facts.termTotals.entries()].map(([name, total]) => ({
    name,
    meanReturn: total / e.episodes,
    varianceShare: e.termShares[name] ?? 0,
    shareInterval: interval(e.termShares[name] ?? 0, u.termShares?.[name] ?? null, u.t),
  }));
  const gradNormSqInterval = interval(e.gradNormSq, u.gradNormSq, u.t);
  const confidence = {
    batches: e.groups,
    batchSize: e.groupSize,
    gradNormSq: gradNormSqInterval,
    traceCov: interval(e.traceCov, u.traceCov, u.t),
  };
  return {
    stats: {
      episodes: e.episodes,
      returnMean: returnDist.mean,
      returnStd: returnDist.std,
      gradient,
      atEpisodesPerUpdate,
      exact: null,
      confidence,
    },
    summary: {
      episodes: e.episodes,
      batches: e.groups,
      batchSize: e.groupSize,
      rewards: facts.steps.value,
      returns: returnDist,
      atEpisodesPerUpdate: { ...atEpisodesPerUpdate, snrInterval, noiseScaleInterval: noiseInterval },
      baselineReduction: e.baselineReduction,
      baselineReductionInterval: interval(e.baselineReduction, u.baselineReduction, u.t),
      terms,
    },
    traceCovSe: u.traceCov,
    gradNormSqLower: u.gradNormSq === null ? -Infinity : e.gradNormSq - INDEPENDENCE_SIGNAL_SE * u.gradNormSq,
  };
}

/** π in the probe's first state: the initial policy's, the same in every state. */
function actionDistribution(agent: Reinforce, spec: EnvSpec, batch: EpisodeBatch): ActionDistribution {
  const out = agent.policy.predict(batch.features.subarray(0, spec.featureDim), 1);
  if (spec.action.kind === "discrete") {
    const max = Math.max(...out);
    const z = Array.from(out, (l) => Math.exp(l - max));
    const total = z.reduce((s, v) => s + v, 0);
    return { kind: "discrete", probabilities: z.map((v) => v / total) };
  }
  return { kind: "box", mean: Array.from(out), std: Array.from(agent.policy.std() as Float32Array) };
}

function uniformActions(spec: EnvSpec): ActionDistribution {
  const a = spec.action;
  return a.kind === "discrete"
    ? { kind: "discrete", probabilities: new Array<number>(a.n).fill(1 / a.n) }
    : { kind: "box", mean: new Array<number>(a.low.length).fill(0), std: new Array<number>(a.low.length).fill(1) };
}
