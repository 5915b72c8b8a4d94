/**
 * The variance probe: a short run of the current (initial) policy, no update, that
 * measures the gradient statistics of design §3. Its episode count adapts to a time
 * budget unless the caller asks for an exact number.
 */
import { performance } from "node:perf_hooks";
import type { ProbeStats } from "../protocol";
import { makeRng } from "../runtime/index";
import type { CallGuard } from "../sandbox/callGuard";
import type { ProbeFinding, ProbeOutcome, ProbeRequest } from "../sandbox/messages";
import type { UserModule } from "../sandbox/userModule";
import { checkReset, checkStep, describeEnvironment, writeFeatures, type EnvSpec } from "./envSpec";
import { exactGradient, type Enumeration } from "./exact";
import { baselineReduction, gradientStats } from "./gradientStats";
import { Reinforce, columnMoments, episodeGradients, padBatch } from "./reinforce";
import { LockstepRollout, concatBatches, type EpisodeBatch } from "./rollout";
import { resolveSettings } from "./settings";
import { episodeReturns } from "./train";
import { tf } from "./tf";

/** Never more than this many episodes when adapting to the budget. */
const MAX_ADAPTIVE_EPISODES = 1024;

export function probe(user: UserModule, guard: CallGuard, request: ProbeRequest): ProbeOutcome {
  const settings = resolveSettings(user.training, request.overrides);
  const first = user.create();
  const spec = describeEnvironment(first);
  const agent = new Reinforce(spec, settings);
  try {
    const batch = sampleEpisodes(user, guard, spec, first, settings.episodesPerUpdate, settings.seed, agent, request);
    const stats = batchStats(agent, batch, settings.episodesPerUpdate);
    const enumeration = enumerate(user, spec);
    stats.exact = enumeration ? (({ gradNormSq, traceCov }) => ({ gradNormSq, traceCov }))(exactGradient(agent.policy, spec, enumeration, settings.baseline)) : null;
    return { stats, findings: findings(spec, batch) };
  } finally {
    agent.dispose();
  }
}

function sampleEpisodes(
  user: UserModule,
  guard: CallGuard,
  spec: EnvSpec,
  first: ReturnType<UserModule["create"]>,
  perUpdate: number,
  seed: number,
  agent: Reinforce,
  request: ProbeRequest,
): EpisodeBatch {
  const rng = makeRng(`${seed}/probe`);
  if (request.episodes !== undefined) {
    const rollout = new LockstepRollout(user, spec, request.episodes, seed, guard, first);
    return rollout.collect(agent.policy, rng) ?? cancelled();
  }
  const rollout = new LockstepRollout(user, spec, perUpdate, seed, guard, first);
  const start = performance.now();
  const parts: EpisodeBatch[] = [];
  let episodes = 0;
  do {
    const b = rollout.collect(agent.policy, rng) ?? cancelled();
    parts.push(concatBatches([b])); // the rollout reuses its buffers: keep a copy
    episodes += b.n;
  } while (performance.now() - start < request.budgetMs && episodes + perUpdate <= MAX_ADAPTIVE_EPISODES);
  return concatBatches(parts);
}

function cancelled(): never {
  throw new ProbeCancelled();
}
export class ProbeCancelled extends Error {}

/** The statistics of Ψ over all sampled episodes, with the SNR stated for one update's N. */
export function batchStats(agent: Reinforce, batch: EpisodeBatch, perUpdate: number): ProbeStats {
  const cols = agent.weightColumns(batch);
  const padded = padBatch(batch, agent.spec, cols.columns);
  const grads = episodeGradients(agent.policy, padded);
  const m = columnMoments(grads, batch.n, padded.columns, cols.step);
  tf.dispose([...grads.tensors, ...m.step]);
  const returns = episodeReturns(batch);
  const mean = returns.reduce((s, r) => s + r, 0) / returns.length;
  const std = Math.sqrt(returns.reduce((s, r) => s + (r - mean) ** 2, 0) / Math.max(returns.length - 1, 1));
  return {
    episodes: batch.n,
    returnMean: mean,
    returnStd: std,
    gradient: gradientStats(batch.n, m.traceCov[cols.stats], m.meanNormSq[cols.stats], baselineReduction(m.traceCov[cols.mean], m.traceCov[cols.none]), perUpdate),
    exact: null,
  };
}

/**
 * An enumeration when the environment allows one: Discrete actions, one-step episodes,
 * the same start state whatever the seed, and the same reward for an action every time.
 */
export function enumerate(user: UserModule, spec: EnvSpec): Enumeration | null {
  if (spec.action.kind !== "discrete" || spec.maxEpisodeSteps !== 1) return null;
  const env = user.create();
  const F = spec.featureDim;
  const start = new Float32Array(F);
  const other = new Float32Array(F);
  writeFeatures(spec, checkReset(user.reset(env, 0)), start, 0, "reset");
  for (const seed of [1, 2]) {
    writeFeatures(spec, checkReset(user.reset(env, seed)), other, 0, "reset");
    if (other.some((v, k) => v !== start[k])) return null;
  }
  const rewards: number[] = [];
  for (let a = 0; a < spec.action.n; a++) {
    const outcomes: number[] = [];
    for (const seed of [0, 1]) {
      const obs = checkReset(user.reset(env, seed));
      const s = checkStep(user.step(env, spec.action.start + a));
      let r = s.reward;
      if (user.hasRewardExport) {
        const v = user.reward({ observation: obs, action: spec.action.start + a, nextObservation: s.observation, envReward: s.reward, terminated: s.terminated, truncated: s.truncated, info: s.info });
        r = typeof v === "number" ? v : Object.values(v as Record<string, number>).reduce((x, y) => x + y, 0);
      }
      outcomes.push(r);
    }
    if (outcomes[0] !== outcomes[1] || !Number.isFinite(outcomes[0])) return null;
    rewards.push(outcomes[0]);
  }
  return { start, rewards };
}

function findings(spec: EnvSpec, batch: EpisodeBatch): ProbeFinding[] {
  const out: ProbeFinding[] = [];
  let ended = 0;
  for (let i = 0; i < batch.n; i++) if (batch.terminated[i] || batch.lengths[i] < spec.maxEpisodeSteps) ended++;
  if (ended === 0 && spec.maxEpisodeSteps > 1)
    out.push({
      code: "never-terminates",
      call: "step",
      message: `none of the ${batch.n} sampled episodes ended before maxEpisodeSteps (${spec.maxEpisodeSteps}): every episode was truncated. If the task has a goal or a failure state, return terminated = true when it is reached.`,
    });
  return out;
}
