/**
 * Diagnostics about how episodes end (design §5):
 *
 * `termination-incentive`: the policy can raise its return by ending the episode. Episodes that
 * end with `terminated` are split by their last reward: a *goal* pays a bonus (its last reward
 * above the mean step reward), a *failure* does not. Then, over the sampled episodes,
 *
 *  - with a negative mean step reward (a living penalty), failures and cut-off episodes whose
 *    return falls as they last longer (a correlation of length and return below 0 with 95%
 *    confidence) say that failing early pays: CartPole with −1 per step learns to fall;
 *  - with a positive mean step reward, goals and cut-off episodes whose return rises as they
 *    last longer say that the living reward outweighs the goal: the policy learns to avoid it.
 *
 * A positive living reward where termination is failure (CartPole's +1) is the intended design
 * and says nothing; so is a negative one where termination is the goal (a step cost).
 *
 * `unreachable-threshold`: `rewardThreshold` above the largest return the environment can pay,
 * where that is provable (an enumerable environment's best action).
 */
import type { Diagnostic } from "../protocol";
import type { EpisodeEnd, ProbeFacts } from "../rl/probeReport";
import { diagnostic } from "./diagnostics";
import { fmt } from "./format";
import { placeOfReward, type SourcePlaces } from "./sourcePlaces";

/** Fewer episodes than this in the group compared: no verdict. */
const MIN_EPISODES = 8;

export function endingDiagnostics(facts: ProbeFacts, file: string, places: SourcePlaces): Diagnostic[] {
  const out: Diagnostic[] = [];
  const incentive = terminationIncentive(facts);
  if (incentive) out.push(diagnostic("termination-incentive", incentive, file, placeOfReward(places)));
  for (const t of facts.shaping?.terms ?? []) {
    if (!t.changesOptimum) continue;
    const s = facts.shaping as NonNullable<ProbeFacts["shaping"]>;
    const c = t.changesOptimum;
    const gammaNote =
      t.potentialBased === "gamma-one"
        ? ` It is potential-based only for γ = 1: with γ = ${fmt(s.gamma)} a difference like d(s) − d(s′) is off by (1 − γ)Φ(s′), which is enough here; use γΦ(s′) − Φ(s), or γ = 1.`
        : "";
    out.push(
      diagnostic(
        "shaping-changes-optimum",
        `the term "${t.name}" is not potential-based (no Φ gives it as γΦ(s′) − Φ(s) on the ${s.transitions} transitions of this environment's ${s.states} states), and it changes the optimal policy: ` +
          `value iteration with γ = ${fmt(s.gamma)} chooses action ${c.with.join(" or ")} in state ${c.state} with the term, and ${c.without.join(" or ")} without it. ` +
          `A term of the form γΦ(s′) − Φ(s) would guide learning without changing what is optimal (Ng, Harada & Russell 1999); otherwise the agent optimises the term itself.${gammaNote}`,
        file,
        places.rewardTerms[t.name] ?? placeOfReward(places),
      ),
    );
  }
  const threshold = facts.rewardThreshold ?? null;
  const best = facts.provableMaxReturn ?? null;
  if (threshold !== null && best !== null && threshold > best)
    out.push(
      diagnostic(
        "unreachable-threshold",
        `rewardThreshold is ${fmt(threshold)}, but no episode can return more than ${fmt(best)} (the best action's reward, every action enumerated): training can never be solved and runs to its episode budget. Lower rewardThreshold to at most ${fmt(best)}.`,
        file,
        places.members.rewardThreshold ?? places.file,
      ),
    );
  return out;
}

function terminationIncentive(facts: ProbeFacts): string | null {
  const ends = facts.episodeEnds;
  const mean = facts.meanStepReward;
  if (!ends || mean === undefined || mean === 0 || facts.maxEpisodeSteps <= 1) return null;
  const goal = (e: EpisodeEnd) => e.terminated && e.finalReward > mean;
  const failure = (e: EpisodeEnd) => e.terminated && !goal(e);
  if (mean < 0) {
    const failures = ends.filter(failure);
    if (failures.length === 0) return null;
    const group = ends.filter((e) => !goal(e));
    const r = correlation(group);
    if (r === null || upper95(r, group.length) >= 0) return null;
    return (
      `ending the episode raises the return: the reward is ${fmt(mean)} per step on average (a living penalty) and ${failures.length} of ${ends.length} sampled episodes ended by terminating without a bonus, ` +
      `and the longer an episode lasted the less it returned (correlation ${fmt(r)}). So the policy learns to end episodes early — to fail fast. ` +
      "Pay for progress or survival instead (a positive reward per step, or a penalty on failure larger than what the remaining steps would cost)."
    );
  }
  const goals = ends.filter(goal);
  if (goals.length === 0) return null;
  const group = ends.filter((e) => !failure(e));
  const r = correlation(group);
  if (r === null || lower95(r, group.length) <= 0) return null;
  return (
    `staying in the episode pays more than reaching the goal: the reward is ${fmt(mean)} per step on average (a living reward), ${goals.length} of ${ends.length} sampled episodes ended at a goal with a bonus, ` +
    `and the longer an episode lasted the more it returned (correlation ${fmt(r)}). So the policy learns to avoid the goal. ` +
    "Make the goal's bonus larger than what the remaining steps would pay, or reward progress instead of time."
  );
}

/** Pearson's correlation of episode length and return, null when either is constant or there are too few. */
function correlation(ends: EpisodeEnd[]): number | null {
  const n = ends.length;
  if (n < MIN_EPISODES) return null;
  const ml = ends.reduce((s, e) => s + e.length, 0) / n;
  const mr = ends.reduce((s, e) => s + e.return, 0) / n;
  let sll = 0;
  let srr = 0;
  let slr = 0;
  for (const e of ends) {
    sll += (e.length - ml) ** 2;
    srr += (e.return - mr) ** 2;
    slr += (e.length - ml) * (e.return - mr);
  }
  if (sll === 0 || srr === 0) return null;
  return Math.max(-1, Math.min(1, slr / Math.sqrt(sll * srr)));
}

/** The 95% bounds of a correlation by Fisher's z (z = atanh r, standard error 1/√(n − 3)). */
function upper95(r: number, n: number): number {
  return Math.tanh(Math.atanh(r) + 1.96 / Math.sqrt(n - 3));
}
function lower95(r: number, n: number): number {
  return Math.tanh(Math.atanh(r) - 1.96 / Math.sqrt(n - 3));
}
