/** What a probe is asked and what it reports; `check/rules.ts` turns the report into diagnostics. */
import type { BaselineKind, ProbeStats, RewardSummary, TrainingSettings } from "../protocol";
import type { Nondeterminism } from "./envChecks";
import type { ContractFinding } from "./gymnasiumChecks";
import type { ShapingReport } from "./shaping";
import type { ProbeTime } from "./timeBound";

export interface ProbeRequest {
  /** Exactly this many episodes, however long they take; otherwise the probe's fixed sample (`probe.ts`). */
  episodes?: number;
  /** Overrides on top of the file's `training` export (the probe uses its policy and baseline). */
  overrides: Partial<TrainingSettings>;
}

/** What the probe measured and observed; `check/rules.ts` turns it into diagnostics. */
export interface ProbeReport {
  /** Null when the probe's time bound passed before it had a batch of complete episodes. */
  stats: ProbeStats | null;
  summary: RewardSummary | null;
  facts: ProbeFacts;
}

export interface EpisodeEnd {
  length: number;
  return: number;
  /** Ended by `terminated` (else truncated, or cut at maxEpisodeSteps). */
  terminated: boolean;
  /** The reward of the last step. */
  finalReward: number;
}

export interface ProbeFacts {
  episodesPerUpdate: number;
  baseline: BaselineKind;
  milliseconds: number;
  maxEpisodeSteps: number;
  /** Sampled episodes that ended (terminated or truncated) before maxEpisodeSteps. */
  endedEpisodes: number;
  /** The common return when every reward was the same value and every episode as long: all returns equal. */
  constantReward: number | null;
  /** Episodes whose return was not zero. */
  nonZeroReturnEpisodes: number;
  /** Replaying episodes with the same seeds but other actions never changed a return. */
  actionIndependent: boolean;
  /** Episodes replayed for that test. */
  actionIndependenceEpisodes: number;
  /** Same seed, same actions → same observations and rewards. */
  resetDeterministic: boolean;
  /** reset(seed) restarts this.rng from the seed (different seeds, different streams). */
  resetReseedsRng: boolean;
  /** reset(seed) ignores its seed: this.rng gives the same stream for different seeds. */
  resetIgnoresSeed: boolean;
  /** The same seed and the same actions give the same first steps (no randomness outside this.rng). */
  stepsDeterministic: boolean;
  /** Whose randomness made a replay differ; null when none did; absent when not measured (out of time). */
  nondeterminism?: Nondeterminism | null;
  /** The sampling's time bound and what it saw (absent in reports made by hand). */
  time?: ProbeTime;
  /** How each sampled episode ended (absent in reports made by hand): `termination-incentive` reads them. */
  episodeEnds?: EpisodeEnd[];
  /** Mean reward per step over the sample. */
  meanStepReward?: number;
  /** What the checks of Gymnasium's and SB3's env checkers found (`gymnasiumChecks.ts`). */
  contract?: ContractFinding[];
  /** Named terms against the optimal policy, for finite environments (`shaping.ts`); null elsewhere. */
  shaping?: ShapingReport | null;
  /** `rewardThreshold` as declared (null: none). */
  rewardThreshold?: number | null;
  /** The largest return the environment can pay, when it is provable (an enumerable environment's best action); else null. */
  provableMaxReturn?: number | null;
}
