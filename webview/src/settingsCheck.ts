/**
 * The "Train again" form's check: the engine's own `invalid-training` rules (the table in
 * `protocol.ts`), so a value the form lets through is one the engine accepts, and nothing the
 * check would reject is ever written into the user's file or sent to train.
 */
import * as v from "valibot";
import { TRAINING_SETTING_RULES, type FlatTrainingSetting } from "../../server/src/protocol";

/** What is wrong with `value` for setting `key` ("must be a whole number >= 2 ..."), or null when the engine accepts it. */
export function settingProblem(key: FlatTrainingSetting, value: unknown): string | null {
  const rule = TRAINING_SETTING_RULES[key];
  return v.is(rule.schema, value) ? null : `must be ${rule.expected}`;
}
