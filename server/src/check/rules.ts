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
import { SLOW_UPDATE_MS } from "../rl/timeBound";
import { binomialUpper95 } from "../rl/probeStats";
import { diagnostic } from "./diagnostics";
import { endingDiagnostics } from "./endingRules";
import { fmt } from "./format";
import { placeOfCall, placeOfReward, type SourcePlaces } from "./sourcePlaces";

/** Under this fraction of episodes with a non-zero return, the reward is sparse. */
export const SPARSE_FRACTION = 0.02;
/** `baseline-recommended` when the mean baseline would remove more than this share of traceCov. */
export const BASELINE_GAIN = 0.3;
/** `reward-term-dominates-variance` when one term carries at least this share of traceCov. */
export const TERM_DOMINANCE = 0.75;

export function probeDiagnostics(report: ProbeReport, file: string, places: SourcePlaces): Diagnostic[] {
  const { facts, summary, stats } = report;
  const out: Diagnostic[] = [];
  const onReward = placeOfReward(places);

  out.push(...nondeterminismDiagnostics(facts, file, places));
  for (const f of facts.contract ?? []) {
    // One nondeterministic-reset is enough: the replays' verdict, when they found one, says more.
    if (f.code === "nondeterministic-reset" && out.some((d) => d.code === f.code)) continue;
    const at = f.at === "actionSpace" ? (places.members.actionSpace ?? placeOfCall(places, "none")) : placeOfCall(places, f.at);
    out.push(diagnostic(f.code, f.message, file, at));
  }
  const slow = slowStep(facts, file, places);
  if (slow) out.push(slow);
  if (!stats || !summary) return out;
  out.push(...endingDiagnostics(facts, file, places));

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
  if (facts.constantReward !== null) {
    out.push(
      diagnostic(
        "reward-constant",
        (facts.constantReward === 0
          ? "every sampled reward is 0, so every return is 0: "
          : `every sampled reward is ${fmt(facts.constantReward)} and every episode lasts ${facts.maxEpisodeSteps === 1 ? "one step" : "as long"}, so every return is the same: `) +
          "the policy gradient is exactly zero in expectation and the policy cannot learn. " +
          (facts.constantReward === 0
            ? "Check that step() or reward() returns the reward, and make it depend on the outcome (reward progress or success, penalise failure)."
            : "Make the reward depend on the outcome (reward progress or success, penalise failure)."),
        file,
        onReward,
      ),
    );
  } else if (binomialUpper95(facts.nonZeroReturnEpisodes, n) < SPARSE_FRACTION) {
    out.push(
      diagnostic(
        "reward-sparse",
        `only ${facts.nonZeroReturnEpisodes} of ${n} sampled episodes had a non-zero return (at most ${pct1(binomialUpper95(facts.nonZeroReturnEpisodes, n))} of episodes, with 95% confidence), so almost every gradient estimate is zero. ` +
          "Most likely the current (random) policy never reaches the goal: add intermediate reward terms (progress toward the goal), or start episodes closer to it.",
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
    // The SNR one training update sees: at episodesPerUpdate, not at the probe's N. A warning
    // needs its evidence: the whole 95% interval below the threshold (design §3).
    const perUpdate = summary.atEpisodesPerUpdate;
    const snrHigh = perUpdate.snrInterval?.[1] ?? null;
    if (perUpdate.snr !== null && snrHigh !== null && snrHigh < 1) {
      const noise = perUpdate.noiseScale;
      const range = perUpdate.noiseScaleInterval;
      out.push(
        diagnostic(
          "gradient-noise",
          `the gradient estimate is mostly noise: SNR ${fmt(perUpdate.snr)} (95% interval ${fmtInterval(perUpdate.snrInterval)}) at episodesPerUpdate = ${perUpdate.episodes}, measured on ${stats.episodes} episodes in ${summary.batches} batches of ${summary.batchSize}. ` +
            (noise === null
              ? "The measured gradient is zero: no batch size balances signal and noise. "
              : `The noise scale is ${fmt(noise)}${range ? ` (${fmtInterval(range)})` : ""}: about ${Math.ceil(noise)} episodes per update would balance signal and noise. Raise training.episodesPerUpdate toward ${Math.ceil(noise)}, `) +
            (facts.baseline === "none" ? 'set training.baseline = "mean", ' : "") +
            "or make the reward less noisy.",
          file,
          onReward,
        ),
      );
    }
    const reduction = summary.baselineReductionInterval;
    if (facts.baseline === "none" && summary.baselineReduction !== null && reduction && reduction[0] > BASELINE_GAIN)
      out.push(
        diagnostic(
          "baseline-recommended",
          `a mean baseline would cut the variance of the gradient estimate by ${pct(summary.baselineReduction)} (95% interval ${pct(reduction[0])}–${pct(Math.min(reduction[1], 1))}) on these episodes: set training.baseline = "mean" (or "value").`,
          file,
          onReward,
        ),
      );
    const top = [...summary.terms].sort((a, b) => b.varianceShare - a.varianceShare)[0];
    const topLow = top?.shareInterval?.[0] ?? null;
    if (summary.terms.length >= 2 && top && topLow !== null && topLow >= TERM_DOMINANCE)
      out.push(
        diagnostic(
          "reward-term-dominates-variance",
          `the reward term "${top.name}" carries ${pct(top.varianceShare)} of the gradient variance (95% interval from ${pct(topLow)}; ${summary.terms
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
 * `slow-step`, judged on CPU time (so a loaded machine never triggers it): the probe met its
 * CPU-time bound before its sample was complete (no statistics), or the environment's code
 * costs at least SLOW_UPDATE_MS of CPU per training update. Placed on the slower of step and
 * the reward export; the message gives what was seen and the cost of training.
 */
function slowStep(facts: ProbeFacts, file: string, places: SourcePlaces): Diagnostic | null {
  const time = facts.time;
  if (!time) return null;
  const perStep = (time.stepMs ?? 0) + (time.rewardMs ?? 0);
  const length = time.meanEpisodeLength;
  const perUpdate = length !== null ? facts.episodesPerUpdate * length * perStep : null;
  if (!time.stoppedEarly && (perUpdate === null || perUpdate < SLOW_UPDATE_MS)) return null;
  const slowReward = time.rewardMs !== null && time.rewardMs > (time.stepMs ?? 0);
  const call = slowReward ? "reward" : "step";
  const perCall = slowReward ? (time.rewardMs as number) : time.stepMs;
  const per = perCall === null ? "is slow" : `takes ${fmtMs(perCall)} of CPU time per call`;
  const update =
    perStep === 0
      ? ""
      : perUpdate !== null
        ? ` Training collects ${facts.episodesPerUpdate} episodes per update: at ${fmt(length as number)} steps per episode that is about ${fmtMs(perUpdate)} of CPU time per update.`
        : ` Training collects ${facts.episodesPerUpdate} episodes per update: with episodes of up to ${facts.maxEpisodeSteps} steps that is up to ${fmtMs(facts.episodesPerUpdate * facts.maxEpisodeSteps * perStep)} per update.`;
  const stopped = time.stoppedEarly
    ? ` The check stopped at its bound of ${fmtMs(time.limitMs)} of CPU time after ${time.stepCalls} step${time.stepCalls === 1 ? "" : "s"} and ${time.episodes} of its ${time.wanted} episodes, so the reward and gradient diagnostics were not computed; run \`rl-playground check --episodes N\` to wait for N episodes.`
    : "";
  return diagnostic(
    "slow-step",
    `${call}() ${per}.${update}${stopped} Make ${call}() faster (cache what does not change between calls).`,
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

function fmtInterval(i: [number, number] | null): string {
  if (!i) return "unknown";
  return `${fmt(i[0])}–${Number.isFinite(i[1]) ? fmt(i[1]) : "∞"}`;
}

/** The largest float32: training computes in float32, so squared gradients beyond it overflow there. */
const FLOAT32_MAX = 3.4028234663852886e38;
const float32Holds = (x: number | null) => x !== null && Math.abs(x) <= FLOAT32_MAX;

function pct(x: number): string {
  return `${Math.round(x * 100)}%`;
}

function pct1(x: number): string {
  return `${Number((x * 100).toPrecision(2))}%`;
}
