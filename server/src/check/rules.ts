/**
 * From the probe's report to diagnostics (design §5). Pure functions of the numbers, so
 * the thresholds can be tested against cases computed by hand.
 *
 * The reward-signal diagnostics are exclusive and checked in order: a constant return,
 * a sparse one, returns that ignore the actions. Each means the gradient carries no
 * signal at all, which makes `gradient-noise` and `baseline-recommended` moot.
 */
import type { Diagnostic, RewardSummary } from "../protocol";
import type { ProbeFacts, ProbeReport } from "../rl/probeReport";
import type { ProbeTime } from "../rl/timeBound";
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

  out.push(...nondeterminismDiagnostics(facts, file, places));
  if (facts.time?.stoppedEarly) out.push(slowStepDiagnostic(facts, facts.time, file, places));
  if (!stats || !summary) return out;

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
  } else if (!(float32Holds(stats.gradient.traceCov) && float32Holds(stats.gradient.gradNormSq))) {
    // The returns are finite, but the squared per-episode gradients ‖g_i‖² (g_i = Σ_t ∇log π · Ψ_t)
    // are beyond float32's 3.4e38: Adam's second moment (g², in float32 in training) overflows and
    // the policy's weights stop moving or turn into NaN. Report it where the size comes from, with the scale to apply.
    const largest = Math.max(Math.abs(summary.returns.min), Math.abs(summary.returns.max));
    const divideBy = 10 ** Math.max(1, Math.ceil(Math.log10(largest)) - 3);
    out.push(
      diagnostic(
        "not-finite",
        `returns up to ${fmt(largest)} make the policy gradient overflow the 32-bit floats the policy computes in ` +
          `(the squared per-episode gradients, which training squares again in float32, exceed 3.4e38 on ${n} episodes), so training would stall or turn the policy's weights into NaN. ` +
          `Scale the reward down: divide it by about ${fmt(divideBy)}, which changes no optimal policy.`,
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
            confidence(summary, true),
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

/**
 * `nondeterministic-reset` on the function whose randomness no seed controls (design §5):
 * the probe replays the same seed and actions with that randomness made to differ, and
 * names who drew from it. Reports made without that attribution fall back on the flags.
 */
function nondeterminismDiagnostics(facts: ProbeFacts, file: string, places: SourcePlaces): Diagnostic[] {
  const same =
    "the same seed and the same actions gave a different trajectory, so runs are not reproducible and the probe's numbers move from check to check";
  const culprit =
    facts.nondeterminism !== undefined
      ? facts.nondeterminism
      : !facts.resetDeterministic
        ? ({ call: "reset", cause: facts.resetReseedsRng ? "other" : "unseeded-rng" } as const)
        : !facts.stepsDeterministic
          ? ({ call: "step", cause: "other" } as const)
          : null;
  if (culprit) {
    const { call, cause } = culprit;
    const message =
      cause === "unseeded-rng"
        ? `this.rng() is drawn from before reset(seed) reseeds it (super.reset(seed) is missing from reset(), or comes after the draws), so its draws continue from the last episode: ${same}. Call super.reset(seed) first in reset().`
        : cause === "math-random"
          ? `${call}() draws from Math.random(), which no seed controls: ${same}. ` +
            (call === "reward"
              ? "Draw the noise in step() from this.rng() (seeded by reset(seed)) and pass it to reward() in info."
              : "Use this.rng() instead: it is seeded by reset(seed).")
          : `${call === "reset" ? "reset(seed)" : `${call}()`} is not reproducible: ${same}. Draw all randomness from this.rng() (seeded by reset(seed)), and reset in reset() any state kept across episodes.`;
    return [diagnostic("nondeterministic-reset", message, file, placeOfCall(places, call))];
  }
  if (facts.resetIgnoresSeed)
    return [
      diagnostic(
        "nondeterministic-reset",
        "reset(seed) ignores its seed: different seeds give this.rng() the same stream, so every episode starts alike. Pass the seed on: super.reset(seed).",
        file,
        placeOfCall(places, "reset"),
      ),
    ];
  return [];
}

/**
 * `slow-step`: the probe met its time bound before its minimum sample. Placed on the slower
 * of step and the reward export; the message gives what was seen and the cost of training.
 */
function slowStepDiagnostic(facts: ProbeFacts, time: ProbeTime, file: string, places: SourcePlaces): Diagnostic {
  const slowReward = time.rewardMs !== null && time.rewardMs > (time.stepMs ?? 0);
  const call = slowReward ? "reward" : "step";
  const perStep = (time.stepMs ?? 0) + (time.rewardMs ?? 0);
  const perCall = slowReward ? (time.rewardMs as number) : time.stepMs;
  const per = perCall === null ? "is slow" : `takes ${fmtMs(perCall)} per call`;
  const seen = `after ${time.stepCalls} step${time.stepCalls === 1 ? "" : "s"} and ${time.episodes} complete episode${time.episodes === 1 ? "" : "s"} (it needs ${time.wanted})`;
  const length = time.meanEpisodeLength;
  const update =
    perStep === 0
      ? ""
      : length !== null
        ? ` Training collects ${facts.episodesPerUpdate} episodes per update: at ${fmt(length)} steps per episode that is about ${fmtMs(facts.episodesPerUpdate * length * perStep)} per update.`
        : ` Training collects ${facts.episodesPerUpdate} episodes per update: with episodes of up to ${facts.maxEpisodeSteps} steps that is up to ${fmtMs(facts.episodesPerUpdate * facts.maxEpisodeSteps * perStep)} per update.`;
  return diagnostic(
    "slow-step",
    `${call}() ${per}: the check stopped at its ${fmtMs(time.limitMs)} time bound ${seen}, so ${time.episodes === 0 ? "the reward and gradient diagnostics were not computed" : "the reward and gradient diagnostics rest on those episodes only"}.${update} ` +
      `Make ${call}() faster (cache what does not change between calls), or run \`rl-playground check --episodes N\` to wait for N episodes.`,
    file,
    placeOfCall(places, call),
  );
}

function fmtMs(ms: number): string {
  if (ms < 1000) return `${fmt(ms)} ms`;
  if (ms < 120_000) return `${fmt(ms / 1000)} s`;
  if (ms < 7_200_000) return `${fmt(ms / 60_000)} min`;
  return `${fmt(ms / 3_600_000)} h`;
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

/** The largest float32: training computes in float32, so squared gradients beyond it overflow there. */
const FLOAT32_MAX = 3.4028234663852886e38;
const float32Holds = (x: number | null) => x !== null && Math.abs(x) <= FLOAT32_MAX;

export function fmt(x: number): string {
  if (x === 0) return "0";
  const a = Math.abs(x);
  if (a >= 1e5 || a < 1e-3) return x.toExponential(2);
  return Number(x.toPrecision(3)).toString();
}

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}
