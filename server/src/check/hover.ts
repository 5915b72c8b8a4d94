/** The reward function's hover: what the probe saw of the reward, in Markdown. */
import type { Distribution, RewardSummary } from "../protocol";
import { fmt } from "./rules";

export function rewardHoverMarkdown(s: RewardSummary): string {
  const dist = (d: Distribution) => `${fmt(d.mean)} ± ${fmt(d.std)} (min ${fmt(d.min)}, max ${fmt(d.max)})`;
  const opt = (x: number | null, unit = "") => (x === null ? "n/a" : fmt(x) + unit);
  const lines = [
    `**Reward, as the probe saw it** (${s.episodes} episodes of the initial policy)`,
    "",
    `| | |`,
    `|---|---|`,
    `| reward per step | ${dist(s.rewards)} |`,
    `| return per episode | ${dist(s.returns)} |`,
    `| gradient SNR at ${s.atEpisodesPerUpdate.episodes} episodes/update | ${opt(s.atEpisodesPerUpdate.snr)} |`,
    `| noise scale (episodes/update to balance noise) | ${opt(s.atEpisodesPerUpdate.noiseScale)} |`,
    `| variance removed by a mean baseline | ${s.baselineReduction === null ? "n/a" : `${Math.round(s.baselineReduction * 100)}%`} |`,
  ];
  if (s.terms.length) {
    lines.push("", "| term | mean per episode | share of gradient variance |", "|---|---|---|");
    for (const t of s.terms) lines.push(`| \`${t.name}\` | ${fmt(t.meanReturn)} | ${Math.round(t.varianceShare * 100)}% |`);
  }
  return lines.join("\n");
}
