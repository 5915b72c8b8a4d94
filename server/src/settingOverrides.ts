/**
 * `--set key=value`: a training setting from the command line, as the `training` export would
 * give it. Nested settings take a dotted key (`policy.hidden=[16]`); the value is read as JSON
 * (numbers, true/false, lists, quoted strings) or else taken as a string (`baseline=none`).
 * An unknown key or a value the settings refuse is a bad argument, said in the settings' words.
 */
import { InvalidArgumentError } from "commander";
import type { TrainingSettings } from "./protocol";
import { DEFAULT_SETTINGS, resolveSettings } from "./rl/settings";
import { UserCodeError } from "./rl/userCode";

type Overrides = Partial<Record<string, unknown>>;

/** The keys `--set` accepts: every setting, nested ones dotted. */
export const SETTING_KEYS: string[] = Object.entries(DEFAULT_SETTINGS).flatMap(([key, value]) =>
  typeof value === "object" && value !== null && !Array.isArray(value) ? Object.keys(value).map((inner) => `${key}.${inner}`) : [key],
);

function parseValue(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Commander's option parser: adds one `key=value` to the overrides so far (repeatable). */
export function addSetting(text: string, previous: Overrides = {}): Overrides {
  const at = text.indexOf("=");
  const key = at < 0 ? text : text.slice(0, at);
  if (at < 0 || !SETTING_KEYS.includes(key))
    throw new InvalidArgumentError(`expected key=value with a key among ${SETTING_KEYS.join(", ")}; got "${text}"`);
  const value = parseValue(text.slice(at + 1));
  const [outer, inner] = key.split(".");
  const next: Overrides = structuredClone(previous);
  if (inner === undefined) next[outer] = value;
  else next[outer] = { ...((next[outer] as Record<string, unknown> | undefined) ?? {}), [inner]: value };
  try {
    // Nested settings are merged over the defaults' by the engine, as the export's are.
    resolveSettings(undefined, next as Partial<TrainingSettings>);
  } catch (error) {
    if (error instanceof UserCodeError) throw new InvalidArgumentError(`--set ${key}: ${error.failure.message}`);
    throw error;
  }
  return next;
}
