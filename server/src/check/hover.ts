/** The reward function's hover: what the probe saw of the reward, in Markdown. */
import type { Distribution, ExactGradient, Interval, RewardSummary } from "../protocol";
import { MIN_GROUPS } from "../rl/probeStats";
import { fmt } from "./format";

export function rewardHoverMarkdown(s: RewardSummary): string {
  const dist = (d: Distribution) => `${fmt(d.mean)} ± ${fmt(d.std)} (min ${fmt(d.min)}, max ${fmt(d.max)})`;
  const opt = (x: number | null, unit = "") => (x === null ? "n/a" : fmt(x) + unit);
  const range = (i: Interval | null) => (i ? ` (95%: ${fmt(i[0])}–${Number.isFinite(i[1]) ? fmt(i[1]) : "∞"})` : "");
  const at = s.atEpisodesPerUpdate;
  const lines = [
    `**Reward, as the probe saw it** (${s.episodes} episodes of the initial policy, in ${s.batches} batches of ${s.batchSize} as training forms them)`,
    "",
    `| | |`,
    `|---|---|`,
    `| reward per step | ${dist(s.rewards)} |`,
    `| return per episode | ${dist(s.returns)} |`,
    `| gradient SNR at ${at.episodes} episodes/update | ${opt(at.snr)}${range(at.snrInterval)} |`,
    `| noise scale (episodes/update to balance noise) | ${opt(at.noiseScale)}${range(at.noiseScaleInterval)} |`,
    `| variance removed by a mean baseline | ${s.baselineReduction === null ? "n/a" : `${Math.round(s.baselineReduction * 100)}%`}${s.baselineReductionInterval ? ` (95%: ${Math.round(s.baselineReductionInterval[0] * 100)}–${Math.round(s.baselineReductionInterval[1] * 100)}%)` : ""} |`,
  ];
  if (s.terms.length) {
    const shaping = s.terms.some((t) => t.potentialBased !== undefined);
    lines.push(
      "",
      `| term | mean per episode | share of gradient variance |${shaping ? " shaping |" : ""}`,
      `|---|---|---|${shaping ? "---|" : ""}`,
    );
    for (const t of s.terms)
      lines.push(
        `| \`${t.name}\` | ${fmt(t.meanReturn)} | ${Math.round(t.varianceShare * 100)}% |${shaping ? ` ${SHAPING[t.potentialBased ?? "unknown"]} |` : ""}`,
      );
  }
  if (s.exact) lines.push("", ...exactLines(s.exact, at.episodes));
  const tell = evidenceNote(s);
  if (tell) lines.push("", tell);
  return lines.join("\n");
}

/**
 * Why a number near a threshold has no warning: a statistical warning needs its 95% interval
 * on the threshold's far side (design §3), and these episodes do not show it.
 */
function evidenceNote(s: RewardSummary): string | null {
  const at = s.atEpisodesPerUpdate;
  if (at.snr === null) return null;
  if (!at.snrInterval)
    return `_Not enough episodes to tell_ whether the gradient is mostly noise: the probe's ${s.episodes} episodes form ${s.batches} batch${s.batches === 1 ? "" : "es"} of ${s.batchSize}, and a confidence bound needs ${MIN_GROUPS} or more. \`rl-playground check --episodes N\` measures more.`;
  if (at.snrInterval[0] < 1 && at.snrInterval[1] >= 1)
    return `_Not enough episodes to tell_ whether the SNR at ${at.episodes} episodes/update is below 1: its 95% interval ${fmt(at.snrInterval[0])}–${fmt(at.snrInterval[1])} contains 1, so no \`gradient-noise\` warning is shown.`;
  return null;
}

/**
 * The exact gradient of an enumerable environment beside the estimate (the seed's first formula),
 * and what it says about one update's estimate: with the batch noise scale B = n·tr Var(ĝ)/‖∇J‖²
 * (the leave-one-out coupling ‖∇J‖²/(n−1)² included), the expected cosine between a batch
 * estimate of N episodes and ∇J is about √(N/(N + B)), and a cosine of 0.9 needs N ≈ 4.26·B.
 */
function exactLines(e: ExactGradient, n: number): string[] {
  const variance = e.traceCov / n + (n > 1 ? ((n - 1) / n) * (e.gradNormSq / (n - 1) ** 2) : 0);
  const lines = [
    `**Exact, by enumerating every action** (each replayed ${e.replaysPerAction} times): ‖∇J‖² = ${fmt(e.gradNormSq)}, traceCov = ${fmt(e.traceCov)} at ${e.episodes} episodes per batch.`,
  ];
  if (e.gradNormSq > 0) {
    const B = (n * variance) / e.gradNormSq;
    const cosine = Math.sqrt(n / (n + B));
    lines.push(
      "",
      `Gradient quality at ${n} episodes/update: the estimate points along ∇J with an expected cosine of about ${fmt(cosine)}; a cosine of 0.9 needs about ${Math.ceil((0.81 / 0.19) * B)} episodes per update.`,
    );
  }
  return lines;
}

const SHAPING = {
  yes: "potential-based: the optimum is unchanged",
  "gamma-one": "potential-based only for γ = 1",
  no: "not potential-based",
  unknown: "",
} as const;
