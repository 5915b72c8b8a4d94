/**
 * Diagnostics a finished run gives about its reward (design §5 `reward-term-inert`): a named
 * term that never changed over the run, or that carried at least 75% of the gradient variance
 * at every update. Placed on the term's property in the `reward` function.
 */
import type { Diagnostic, TermFinding } from "../protocol";
import { diagnostic, findSourcePlaces, readSource } from "./diagnostics";
import { fmt } from "./format";
import { placeOfReward } from "./sourcePlaces";

export function termDiagnostics(findings: TermFinding[] | undefined, file: string, contents?: string): Diagnostic[] {
  if (!findings?.length) return [];
  const places = findSourcePlaces(file, readSource(file, contents));
  return findings.map((f) =>
    diagnostic(
      "reward-term-inert",
      f.kind === "constant"
        ? `the term "${f.name}" was ${fmt(f.value)} per episode at every one of the run's ${f.updates} updates: it never changed, so it never told the policy anything. Remove it, or make it depend on what the agent does.`
        : `the term "${f.name}" carried ${Math.round(f.minShare * 100)}% or more of the gradient variance at every one of the run's ${f.updates} updates: the other terms barely moved the policy. Scale it down, or check that it measures what you mean to reward.`,
      file,
      places.rewardTerms[f.name] ?? placeOfReward(places),
    ),
  );
}
