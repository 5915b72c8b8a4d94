import * as v from "valibot";
import {
  NESTED_TRAINING_SETTING_RULES,
  TRAINING_SETTING_RULES,
  type FlatTrainingSetting,
  type NestedTrainingSetting,
  type TrainingSettingRule,
  type TrainingSettings,
} from "../protocol";
import { UserCodeError, type UserFailure } from "./userCode";

/**
 * Defaults: 16 episodes in lockstep, a 32-unit relu policy, Adam at 0.03, γ = 0.99 and
 * a per-time-index mean baseline. With these, batched REINFORCE solves CartPole-v1 in
 * about 100k environment steps. Advantage normalisation is off by default: Adam already
 * divides out the gradient's scale (CartPole solves as fast without it), and without it
 * the step is the very estimate the statistics describe, so one update needs two weight
 * columns (Ψ with the mean baseline, and without) instead of three.
 */
export const DEFAULT_SETTINGS: TrainingSettings = {
  episodesPerUpdate: 16,
  learningRate: 0.03,
  gamma: 0.99,
  baseline: "mean",
  normalizeAdvantages: false,
  entropyCoef: 0,
  policy: { hidden: [32], activation: "relu" },
  value: { hidden: [32], learningRate: 0.01, stepsPerUpdate: 4 },
  seed: 0,
  maxEpisodes: 5000,
};

/** What one setting accepts: a test, and the words that tell the user what to write. */
interface Rule {
  ok(value: unknown): boolean;
  expected: string;
}

/** The engine's form of a shared rule (`protocol.ts` holds the table, so the dashboard checks the same). */
const rule = ({ schema, expected }: TrainingSettingRule): Rule => ({ ok: (x) => v.is(schema, x), expected });
const rules = <K extends string>(table: Record<K, TrainingSettingRule>) =>
  Object.fromEntries(Object.entries<TrainingSettingRule>(table).map(([k, r]) => [k, rule(r)])) as Record<K, Rule>;

type Nested = NestedTrainingSetting;
type Flat = FlatTrainingSetting;

const FLAT_RULES: Record<Flat, Rule> = rules(TRAINING_SETTING_RULES);

const NESTED_RULES: { [K in Nested]: Record<keyof TrainingSettings[K], Rule> } = {
  policy: rules(NESTED_TRAINING_SETTING_RULES.policy),
  value: rules(NESTED_TRAINING_SETTING_RULES.value),
};

const NESTED_EXAMPLE: Record<Nested, string> = {
  policy: '{ hidden: [32], activation: "relu" }',
  value: "{ hidden: [32], learningRate: 0.01, stepsPerUpdate: 4 }",
};

/** Members of the environment class that users may put in `training` by mistake. */
const CLASS_MEMBERS = ["observationSpace", "actionSpace", "maxEpisodeSteps", "rewardThreshold"];

interface Problem {
  property?: string;
  message: string;
}

/**
 * Merge the file's `training` export and the caller's overrides over the defaults. Every
 * bad or unknown property of the export is reported (one `invalid-training` each, placed
 * on its property): a setting of the wrong type or out of range, and a key that is no
 * setting (a typo would otherwise be ignored without a word).
 */
export function resolveSettings(exported: unknown, overrides: Partial<TrainingSettings> = {}): TrainingSettings {
  const settings: TrainingSettings = structuredClone(DEFAULT_SETTINGS);
  const problems: Problem[] = [];
  if (exported !== undefined) {
    if (isRecord(exported)) merge(settings, exported, problems, true);
    else
      problems.push({
        message: `the training export must be an object of settings, e.g. \`export const training = { learningRate: 0.01 }\`, got ${shown(exported)}`,
      });
  }
  merge(settings, overrides as Record<string, unknown>, problems, false);
  if (problems.length === 0) return settings;
  const [first, ...rest] = problems.map(failureOf);
  throw new UserCodeError(rest.length > 0 ? { ...first, also: rest } : first);
}

function failureOf(p: Problem): UserFailure {
  return {
    code: "invalid-training",
    call: "load",
    member: "training",
    property: p.property,
    message: p.message.endsWith("?") ? p.message : `${p.message}.`,
  };
}

/**
 * Copy the valid settings of `layer` into `settings`, and note what is wrong with the others,
 * in the order the keys were written. `strict` (the file's export) also reports unknown keys.
 */
function merge(settings: TrainingSettings, layer: Record<string, unknown>, problems: Problem[], strict: boolean): void {
  problems.push(
    ...mergeLevel(settings as unknown as Record<string, unknown>, layer, FLAT_RULES, "", strict, (key, value) => {
      const group = key as Nested;
      if (!isRecord(value))
        return [{ property: group, message: `training.${group} must be an object like ${NESTED_EXAMPLE[group]}, got ${shown(value)}` }];
      return mergeLevel(settings[group] as unknown as Record<string, unknown>, value, NESTED_RULES[group], `${group}.`, strict);
    }),
  );
}

/** One level of the export: its flat settings checked by `rules`, its nested groups (`policy`, `value`) by `nested`. */
function mergeLevel(
  into: Record<string, unknown>,
  layer: Record<string, unknown>,
  rules: Record<string, Rule>,
  prefix: string,
  strict: boolean,
  nested?: (key: string, value: unknown) => Problem[],
): Problem[] {
  const known = [...Object.keys(rules), ...(nested ? Object.keys(NESTED_RULES) : [])];
  const problems: Problem[] = [];
  for (const [key, value] of Object.entries(layer)) {
    if (value === undefined) continue;
    if (Object.hasOwn(rules, key)) {
      if (rules[key].ok(value)) into[key] = value;
      else problems.push(badValue(prefix + key, rules[key], value));
    } else if (nested && Object.hasOwn(NESTED_RULES, key)) problems.push(...nested(key, value));
    else if (strict) problems.push(unknownKey(key, known, prefix));
  }
  return problems;
}

function badValue(property: string, rule: Rule, value: unknown): Problem {
  return { property, message: `training.${property} must be ${rule.expected}, got ${shown(value)}` };
}

/** A key that is no setting: named with the closest setting, since a typo is the usual cause. */
function unknownKey(key: string, known: string[], prefix: string): Problem {
  const property = prefix + key;
  const head = `training.${property} is not a training setting and would be ignored`;
  if (prefix === "" && CLASS_MEMBERS.includes(key))
    return { property, message: `${head}: ${key} is a property of the environment class (\`${key} = ...\` in the class body)` };
  const near = closest(key, known);
  const hint = near ? `did you mean ${prefix}${near}?` : `the settings here are ${known.map((k) => prefix + k).join(", ")}`;
  return { property, message: `${head}; ${hint}` };
}

/** The known key nearest to `key` by edit distance (case-insensitive), if near enough to be a typo of it. */
function closest(key: string, known: string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const k of known) {
    const d = editDistance(key.toLowerCase(), k.toLowerCase());
    if (d < bestDistance) [best, bestDistance] = [k, d];
  }
  // A third of the name may be mistyped (at least 2 characters): "learningrate", "gama", "episodesPerUpdates".
  return bestDistance <= Math.max(2, Math.floor(key.length / 3)) ? best : undefined;
}

/** Levenshtein distance: insertions, deletions and substitutions. */
function editDistance(a: string, b: string): number {
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++)
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    previous = row;
  }
  return previous[b.length];
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** A value as the user wrote it, JSON-like, with its type named where it is easy to miss (`"16"`, a string). */
function shown(x: unknown): string {
  if (typeof x === "string") return `${JSON.stringify(x)} (a string)`;
  if (typeof x === "function") return "a function";
  if (typeof x === "bigint") return `${x}n (a bigint)`;
  if (typeof x === "number" || typeof x === "boolean" || x === null || x === undefined) return String(x);
  let text: string;
  try {
    text = JSON.stringify(x) ?? String(x);
  } catch {
    text = String(x);
  }
  const kind = Array.isArray(x) ? "a list" : "an object";
  return `${text.length > 60 ? `${text.slice(0, 57)}...` : text} (${kind})`;
}
