/**
 * The reward of one transition (s, a, r, s'): the environment's own, or what the file's
 * `reward` export makes of it (reward shaping), validated. Training, the probe, playback,
 * replay and the Gymnasium bridge all compute it here.
 */
import { checkFinite, failIfAsync, show, type StepResult } from "./envSpec";
import { fail, type UserEnvironmentModule } from "./userCode";

/**
 * The reward of a transition: step's reward, or the `reward` export's number or the sum
 * of its named terms (validated).
 */
export function transitionReward(
  user: UserEnvironmentModule,
  observation: unknown,
  action: unknown,
  s: StepResult,
): { total: number; terms: [string, number][] | null } {
  if (!user.hasRewardExport) return { total: s.reward, terms: null };
  return user.guarded("reward", () => {
    const value = user.reward({
      observation,
      action,
      nextObservation: s.observation,
      envReward: s.reward,
      terminated: s.terminated,
      truncated: s.truncated,
      info: s.info,
    });
    if (typeof value === "number") return { total: value, terms: null };
    failIfAsync(value, "reward");
    if (typeof value !== "object" || value === null || Array.isArray(value))
      fail("bad-step", "reward", `reward() must return a number or an object of named terms, got ${show(value)}`);
    let total = 0;
    const terms: [string, number][] = [];
    for (const [name, term] of Object.entries(value as Record<string, unknown>)) {
      if (typeof term !== "number") fail("bad-step", "reward", `reward() term "${name}" is ${show(term)}, expected a number`);
      checkFinite(term, "reward", `reward() term "${name}" is ${term}`, "rewards");
      terms.push([name, term]);
      total += term;
    }
    return { total, terms };
  });
}
