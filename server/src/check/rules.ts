/**
 * From the probe's report to diagnostics (design §5). Pure functions of the numbers, so
 * the thresholds can be tested against cases computed by hand.
 *
 * The reward-signal diagnostics are exclusive and checked in order: a constant return,
 * a sparse one, returns that ignore the actions. Each means the gradient carries no
 * signal at all, which makes `gradient-noise` and `baseline-recommended` moot.
 */
import type { Diagnostic, RewardSummary } from "../protocol";
import type { ProbeReport } from "../rl/probeReport";
import { diagnostic } from "./diagnostics";
import { placeOfCall, placeOfReward, type SourcePlaces } from "./sourcePlaces";

/** Under this fraction of episodes with a non-zero return, the reward is sparse. */
export const SPARSE_FRACTION = 0.02;
/** `baseline-recommended` when the mean baseline would remove more than this share of traceCov. */
export const BASELINE_GAIN = 0.3;
/** `reward-term-dominates-variance` when one term carries at least this share of traceCov. */
export const TERM_DOMINANCE = 0.75;
/** Below this many episodes, or above this relative error of traceCov, the message says the numbers are rough. */
export const LOW_CONFIDENCE_EPISODES = 64;
export const LOW_CONFIDENCE_ERROR = 0.25;

export function probeDiagnostics(report: ProbeReport, file: string, places: SourcePlaces): Diagnostic[] {
  const { facts, summary, stats } = report;
  const out: Diagnostic[] = [];
  const onReward = placeOfReward(places);

  if (!facts.resetDeterministic)
    out.push(
      diagnostic(
        "nondeterministic-reset",
        "reset(seed) is not reproducible: the same seed and the same actions gave different observations or rewards. " +
          (facts.resetReseedsRng
            ? "Draw all randomness from this.rng() rather than Math.random() or state kept across episodes."
            : "Call super.reset(seed) first in reset(), and draw all randomness from this.rng()."),
        file,
        placeOfCall(places, "reset"),
      ),
    );
  else if (facts.resetIgnoresSeed)
    out.push(
      diagnostic(
        "nondeterministic-reset",
        "reset(seed) ignores its seed: different seeds give this.rng() the same stream, so every episode starts alike. Pass the seed on: super.reset(seed).",
        file,
        placeOfCall(places, "reset"),
      ),
    );

  if (facts.endedEpisodes === 0 && facts.maxEpisodeSteps > 1)
    out.push(
      diagnostic(
        "never-terminates",
        `none of the ${stats.episodes} sampled episodes ended before maxEpisodeSteps (${facts.maxEpisodeSteps}): every one was cut off. ` +
          "If the task has a goal or a failure state, return terminated = true when it is reached; otherwise this is expected.",
        file,
        placeOfCall(places, "step"),
      ),
    );

  const n = stats.episodes;
  // Randomness outside this.rng() (Math.random, say) is noise no seed controls: say so where it matters.
  const unseeded =
    facts.resetDeterministic && !facts.stepsDeterministic
      ? " Note: replaying the same seed and actions gave different rewards or observations, so some randomness does not come from this.rng() (Math.random?): runs are not reproducible, and if the reward is pure noise, no batch size helps."
      : "";
  if (facts.constantReward !== null && facts.constantReward !== 0) {
    out.push(
      diagnostic(
        "reward-constant",
        `every sampled reward is ${fmt(facts.constantReward)} and every episode lasts ${facts.maxEpisodeSteps === 1 ? "one step" : "as long"}, so every return is the same: ` +
          "the policy gradient is exactly zero in expectation and the policy cannot learn. Make the reward depend on the outcome (reward progress or success, penalise failure).",
        file,
        onReward,
      ),
    );
  } else if (facts.nonZeroReturnEpisodes < SPARSE_FRACTION * n) {
    out.push(
      diagnostic(
        "reward-sparse",
        `only ${facts.nonZeroReturnEpisodes} of ${n} sampled episodes (${pct(facts.nonZeroReturnEpisodes / n)}) had a non-zero return, so almost every gradient estimate is zero. ` +
          "Most likely the current (random) policy never reaches the goal: add intermediate reward terms (progress toward the goal), or start episodes closer to it. " +
          "Or the reward is never set: check that step() or reward() returns it.",
        file,
        onReward,
      ),
    );
  } else if (facts.actionIndependent) {
    out.push(
      diagnostic(
        "reward-action-independent",
        `returns do not depend on the actions: ${facts.actionIndependenceEpisodes / 2} pairs of episodes, each pair reset with the same seed and acted with a different action at every step, gave equal returns in every pair (a dependence that changes one pair's return in 23 would have shown with probability above 99.9%), so there is no learning signal. ` +
          "Make the reward depend on what the agent does (its action or the state it leads to).",
        file,
        onReward,
      ),
    );
  } else {
    const g = stats.gradient;
    // The SNR one training update sees: at episodesPerUpdate, not at the probe's N.
    const perUpdate = stats.atEpisodesPerUpdate;
    if (perUpdate.snr !== null && perUpdate.snr < 1) {
      const batch = g.noiseScale === null ? null : Math.ceil(g.noiseScale);
      out.push(
        diagnostic(
          "gradient-noise",
          `the gradient estimate is mostly noise: SNR ${fmt(perUpdate.snr)} at episodesPerUpdate = ${perUpdate.episodes} (below 1; measured on ${stats.episodes} episodes). ` +
            (batch === null
              ? "The measured gradient is zero: no batch size balances signal and noise. "
              : `The noise scale is ${fmt(g.noiseScale as number)}: about ${batch} episodes per update would balance signal and noise. Raise training.episodesPerUpdate toward ${batch}, `) +
            (facts.baseline === "none" ? 'set training.baseline = "mean", ' : "") +
            "or make the reward less noisy." +
            confidence(summary, true) +
            unseeded,
          file,
          onReward,
        ),
      );
    }
    if (facts.baseline === "none" && g.baselineReduction !== null && g.baselineReduction > BASELINE_GAIN)
      out.push(
        diagnostic(
          "baseline-recommended",
          `a mean baseline would cut the variance of the gradient estimate by ${pct(g.baselineReduction)} on these episodes: set training.baseline = "mean" (or "value").` +
            confidence(summary),
          file,
          onReward,
        ),
      );
    const top = [...summary.terms].sort((a, b) => b.varianceShare - a.varianceShare)[0];
    if (summary.terms.length >= 2 && top && top.varianceShare >= TERM_DOMINANCE)
      out.push(
        diagnostic(
          "reward-term-dominates-variance",
          `the reward term "${top.name}" carries ${pct(top.varianceShare)} of the gradient variance (${summary.terms
            .filter((t) => t !== top)
            .map((t) => `${t.name} ${pct(t.varianceShare)}`)
            .join(", ")}). If it is a shaping term, scale it down or smooth it; if it is the goal, the other terms barely matter.`,
          file,
          places.rewardTerms[top.name] ?? onReward,
        ),
      );
  }
  return out;
}

/** A note when the numbers behind a message are rough: few episodes, or a large standard error. */
function confidence(s: RewardSummary, aboutSignal = false): string {
  const varianceError = s.traceCovRelativeError;
  const signalError = aboutSignal ? s.gradNormSqRelativeError : null;
  const rough =
    s.episodes < LOW_CONFIDENCE_EPISODES ||
    (varianceError !== null && varianceError > LOW_CONFIDENCE_ERROR) ||
    (signalError !== null && signalError > LOW_CONFIDENCE_ERROR);
  if (!rough) return "";
  const parts = [`measured on ${s.episodes} episodes`];
  if (varianceError !== null) parts.push(`±${pct(varianceError)} on the variance`);
  if (signalError !== null) parts.push(`±${pct(signalError)} on the signal, so on the SNR and the noise scale`);
  return ` (Low confidence: ${parts.join(", ")}.)`;
}

export function fmt(x: number): string {
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) return x.toExponential(2);
  return Number(x.toPrecision(3)).toString();
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}
