/**
 * The "Train again" form's check: the engine's own `invalid-training` rules (the table in
 * `protocol.ts`), so a value the form lets through is one the engine accepts, and nothing the
 * check would reject is ever written into the user's file or sent to train.
 */
import * as v from "valibot";
import { NESTED_TRAINING_SETTING_RULES, TRAINING_SETTING_RULES, type FlatTrainingSetting } from "../../server/src/protocol";

/** What is wrong with `value` for setting `key` ("must be a whole number >= 2 ..."), or null when the engine accepts it. */
export function settingProblem(key: FlatTrainingSetting, value: unknown): string | null {
  const rule = TRAINING_SETTING_RULES[key];
  return v.is(rule.schema, value) ? null : `must be ${rule.expected}`;
}

/** Every setting of a partial settings object the engine would reject, as [property, problem]. */
export function settingsProblems(settings: Record<string, unknown>): Array<[string, string]> {
  const problems: Array<[string, string]> = [];
  for (const [key, value] of Object.entries(settings)) {
    if (value === undefined) continue;
    if (Object.hasOwn(TRAINING_SETTING_RULES, key)) {
      const problem = settingProblem(key as FlatTrainingSetting, value);
      if (problem) problems.push([key, problem]);
    } else if (Object.hasOwn(NESTED_TRAINING_SETTING_RULES, key)) {
      const nested: Record<string, { schema: v.GenericSchema<unknown>; expected: string }> =
        NESTED_TRAINING_SETTING_RULES[key as keyof typeof NESTED_TRAINING_SETTING_RULES];
      if (typeof value !== "object" || value === null) {
        problems.push([key, "must be an object"]);
        continue;
      }
      for (const [inner, innerValue] of Object.entries(value)) {
        const rule = nested[inner];
        if (innerValue !== undefined && rule && !v.is(rule.schema, innerValue))
          problems.push([`${key}.${inner}`, `must be ${rule.expected}`]);
      }
    }
  }
  return problems;
}
