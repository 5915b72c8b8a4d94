/**
 * The training loop: collect N episodes in lockstep, one REINFORCE update, report.
 * Stops when the environment's `rewardThreshold` is reached by the mean return of the
 * last 100 episodes (solved), when the episode budget is spent, or when cancelled.
 */
import { performance } from "node:perf_hooks";
import type { BackendName, EndReason, TermFinding, TrainingSettings, TrainingSummary, UpdateMetrics } from "../protocol";
import { makeRng } from "../runtime/index";
import type { Cancellation, UserEnvironmentModule } from "./userCode";
import { describeEnvironment, type EnvSpec } from "./envSpec";
import type { Policy } from "./policy";
import { PolicyProbe } from "./policySnapshot";
import { Reinforce } from "./reinforce";
import { AveragedNoiseScale } from "./gradientStats";
import { checkTrainingSize } from "./limits";
import { episodeReturns } from "./returns";
import type { EpisodeBatch } from "./episodeBatch";
import { LockstepRollout } from "./rollout";
import { RunFiles } from "./runFiles";
import { resolveSettings } from "./settings";

export interface TrainOptions {
  /** Overrides on top of the file's `training` export. */
  overrides: Partial<TrainingSettings>;
  backend: BackendName;
  /** Where to write the run; null writes nothing. */
  runDir: string | null;
  /** Keep training after the threshold is reached (benchmarks check it stays solved). */
  continueAfterSolved?: boolean;
  onProgress?(metrics: UpdateMetrics): void;
  /** After every update, with the policy as it now is (playback during training). */
  onUpdate?(policy: Policy, spec: EnvSpec): void;
  /** While an update is under way, at least every `TICK_MS` (rolloutClock.ts) between user calls. */
  onHeartbeat?(heartbeat: TrainingHeartbeat): void;
}

/**
 * Training is alive and where it is, between updates: a slow environment can take minutes
 * per update, and a progress event per update alone would look like a hang.
 */
export interface TrainingHeartbeat {
  type: "heartbeat";
  /** The update under way (1-based). */
  update: number;
  /** Episodes finished before this update, and the episode budget. */
  episodes: number;
  episodeBudget: number;
  /** Environment steps so far, this update's included. */
  envSteps: number;
  seconds: number;
}

export async function train(user: UserEnvironmentModule, guard: Cancellation, options: TrainOptions): Promise<TrainingSummary> {
  const settings = resolveSettings(user.training, options.overrides);
  const first = user.create();
  const spec = user.guarded("construct", () => describeEnvironment(first));
  checkTrainingSize(spec, settings);
  const rollout = new LockstepRollout(user, spec, settings.episodesPerUpdate, settings.seed, guard, first);
  const agent = new Reinforce(spec, settings);
  const actionRng = makeRng(`${settings.seed}/actions`);
  const files = options.runDir ? new RunFiles(options.runDir) : null;
  const recent = new RecentReturns(100);
  const noiseScale = new AveragedNoiseScale();
  const terms = new TermTracker();

  const start = performance.now();
  let episodes = 0;
  let envSteps = 0;
  let update = 0;
  let solvedAtEpisode: number | null = null;
  let reason: EndReason = "budget";
  let probeStates: PolicyProbe | null = null;
  try {
    while (episodes < settings.maxEpisodes) {
      if (guard.cancelled) {
        reason = "stopped";
        break;
      }
      const onHeartbeat = options.onHeartbeat;
      const onTick = onHeartbeat
        ? () =>
            onHeartbeat({
              type: "heartbeat",
              update: update + 1,
              episodes,
              episodeBudget: settings.maxEpisodes,
              envSteps: envSteps + rollout.stepsTaken,
              seconds: (performance.now() - start) / 1000,
            })
        : undefined;
      // The last update may be smaller, so that the budget is exact.
      const batch = rollout.collect(agent.policy, actionRng, Math.min(settings.episodesPerUpdate, settings.maxEpisodes - episodes), {
        onTick,
      });
      if (!batch) {
        reason = "stopped";
        break;
      }
      const returns = episodeReturns(batch);
      // Probe states from the first update's episodes, before it changes the policy.
      probeStates ??= PolicyProbe.fromBatch(batch, spec.featureDim);
      const { gradient, termShares, explainedVariance: explained } = agent.update(batch);
      update++;
      episodes += batch.n;
      for (let i = 0; i < batch.n; i++) {
        envSteps += batch.lengths[i];
        recent.push(returns[i]);
      }
      // The batch's buffers are sized for a full update; the last one may hold fewer episodes.
      const lengths = batch.lengths.subarray(0, batch.n);
      const metrics: UpdateMetrics = {
        update,
        episodes,
        episodeBudget: settings.maxEpisodes,
        envSteps,
        seconds: (performance.now() - start) / 1000,
        ...summarize(returns),
        episodeLengthMean: mean(lengths),
        meanReturn100: recent.mean(),
        policyEntropy: batch.entropySum / sumOf(lengths),
        gradient,
        noiseScaleAveraged: noiseScale.add(gradient),
        ...(explained !== undefined ? { explainedVariance: explained } : {}),
        ...(batch.terms.size ? { rewardTerms: termTotals(batch) } : {}),
        ...(termShares ? { rewardTermVarianceShares: termShares } : {}),
        policy: probeStates.snapshot(agent.policy),
      };
      terms.add(metrics);
      files?.append(metrics);
      options.onProgress?.(metrics);
      options.onUpdate?.(agent.policy, spec);

      if (spec.rewardThreshold !== null && recent.full && recent.mean() >= spec.rewardThreshold) {
        solvedAtEpisode ??= episodes;
        if (!options.continueAfterSolved) {
          reason = "solved";
          break;
        }
      }
    }
    if (reason === "budget" && solvedAtEpisode !== null) reason = "solved";
    const summary: TrainingSummary = {
      type: "summary",
      environment: user.name,
      episodes,
      updates: update,
      envSteps,
      seconds: (performance.now() - start) / 1000,
      meanReturn100: recent.mean(),
      solved: solvedAtEpisode !== null,
      solvedAtEpisode,
      reason,
      backend: options.backend,
      seed: settings.seed,
      runDir: options.runDir,
      settings,
      peakRssMb: Math.round(process.resourceUsage().maxRSS / 1024),
      rewardThreshold: spec.rewardThreshold,
      ...(update > 1 ? { termFindings: terms.findings(update) } : {}),
    };
    await files?.finish(agent.policy, summary);
    return summary;
  } finally {
    agent.dispose();
  }
}

/** A share of the gradient variance at or above this at every update makes a term dominant for the run. */
const DOMINANT_SHARE = 0.75;

/**
 * What each named term did over a run (what a reward designer wants fed back, as Eureka does):
 * whether its mean per episode ever changed, and whether it carried most of the gradient
 * variance at every update.
 */
class TermTracker {
  private readonly first = new Map<string, number>();
  private readonly changed = new Set<string>();
  private readonly minShare = new Map<string, number>();

  add(m: UpdateMetrics): void {
    for (const [name, value] of Object.entries(m.rewardTerms ?? {})) {
      const first = this.first.get(name);
      if (first === undefined) this.first.set(name, value);
      else if (Math.abs(value - first) > 1e-12 * Math.max(1, Math.abs(first))) this.changed.add(name);
    }
    for (const name of this.first.keys()) {
      const share = m.rewardTermVarianceShares?.[name] ?? 0;
      this.minShare.set(name, Math.min(this.minShare.get(name) ?? Infinity, share));
    }
  }

  findings(updates: number): TermFinding[] {
    // A constant term changes nothing: with one term, it is the whole reward (reward-constant's business).
    if (this.first.size < 2) return [];
    const out: TermFinding[] = [];
    for (const [name, value] of this.first) {
      if (!this.changed.has(name)) out.push({ name, kind: "constant", value, updates });
      // Dominance over terms that never changed says nothing: they carry no variance to share.
      else if ((this.minShare.get(name) ?? 0) >= DOMINANT_SHARE && [...this.changed].some((other) => other !== name))
        out.push({ name, kind: "dominant", minShare: this.minShare.get(name) as number, updates });
    }
    return out;
  }
}

function termTotals(batch: EpisodeBatch): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, column] of batch.terms) {
    let total = 0;
    for (let i = 0; i < batch.n; i++) for (let t = 0; t < batch.lengths[i]; t++) total += column[i * batch.stride + t];
    out[name] = total / batch.n;
  }
  return out;
}

function summarize(xs: number[]) {
  const m = mean(xs);
  const variance = xs.reduce((s, x) => s + (x - m) ** 2, 0) / Math.max(xs.length - 1, 1);
  return { returnMean: m, returnStd: Math.sqrt(variance), returnMin: Math.min(...xs), returnMax: Math.max(...xs) };
}

function sumOf(xs: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i];
  return s;
}

function mean(xs: ArrayLike<number>): number {
  return xs.length ? sumOf(xs) / xs.length : 0;
}

/** Ring buffer of the last `size` episode returns. */
class RecentReturns {
  private readonly values: number[] = [];
  private next = 0;
  constructor(private readonly size: number) {}
  push(x: number): void {
    if (this.values.length < this.size) this.values.push(x);
    else this.values[this.next] = x;
    this.next = (this.next + 1) % this.size;
  }
  get full(): boolean {
    return this.values.length === this.size;
  }
  mean(): number {
    return mean(this.values);
  }
}
