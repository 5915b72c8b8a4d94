/**
 * Writes settings from the dashboard's "train again" form back into the environment file's
 * `training` export, as text: existing keys get their value replaced, missing keys are added,
 * and a file without the export gets one at its end. Everything else in the file (comments,
 * formatting, other keys, nested objects) is left exactly as it was.
 */
import type { TrainingSettings } from "../../../server/src/protocol";

/** The flat settings the form edits; nested ones (`policy`, `value`) are left to the file. */
export const EDITABLE_SETTINGS = [
  "episodesPerUpdate",
  "learningRate",
  "gamma",
  "baseline",
  "entropyCoef",
  "normalizeAdvantages",
  "seed",
  "maxEpisodes",
] as const;
export type EditableSetting = (typeof EDITABLE_SETTINGS)[number];

interface Replacement {
  start: number;
  end: number;
  text: string;
}

interface Property {
  key: string;
  valueStart: number;
  valueEnd: number;
}

export function editTrainingExport(source: string, settings: Partial<TrainingSettings>): string {
  const entries = EDITABLE_SETTINGS.flatMap((key) => (settings[key] === undefined ? [] : [[key, literal(settings[key])] as const]));
  if (entries.length === 0) return source;
  const head = /export\s+const\s+training\b[^=]*=\s*\{/.exec(source);
  if (!head) {
    const body = entries.map(([k, val]) => `${k}: ${val}`).join(", ");
    return `${source.replace(/\s*$/, "\n")}\nexport const training = { ${body} };\n`;
  }
  const open = head.index + head[0].length - 1;
  const close = matchingBrace(source, open);
  if (close < 0) return source;
  const props = topLevelProperties(source, open + 1, close);
  const replacements: Replacement[] = [];
  const missing: string[] = [];
  for (const [key, val] of entries) {
    const prop = props.find((p) => p.key === key);
    if (prop) replacements.push({ start: prop.valueStart, end: prop.valueEnd, text: val });
    else missing.push(`${key}: ${val}`);
  }
  if (missing.length > 0) replacements.push(...insertions(source, open, close, props.at(-1), missing));
  let out = source;
  // From the end backwards; of two insertions at one place the later is applied first, so the earlier ends up first.
  const ordered = replacements.map((r, i) => ({ ...r, i })).sort((a, b) => b.start - a.start || b.i - a.i);
  for (const r of ordered) out = out.slice(0, r.start) + r.text + out.slice(r.end);
  return out;
}

function literal(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/**
 * Where new keys go: after the last property (after its comma, and after a comment ending
 * its line), each on its own line when the object spans lines.
 */
function insertions(source: string, open: number, close: number, last: Property | undefined, missing: string[]): Replacement[] {
  if (!last) return [{ start: open + 1, end: close, text: ` ${missing.join(", ")} ` }];
  const comma = /^\s*,/.exec(source.slice(last.valueEnd, close));
  const addComma: Replacement[] = comma ? [] : [{ start: last.valueEnd, end: last.valueEnd, text: "," }];
  const afterComma = comma ? last.valueEnd + comma[0].length : last.valueEnd;
  const indent = /\n([ \t]+)\S/.exec(source.slice(open + 1, close))?.[1];
  if (!indent) return [...addComma, { start: afterComma, end: afterComma, text: ` ${missing.join(", ")}${comma ? "," : ""}` }];
  const lineEnd = source.indexOf("\n", afterComma);
  const at = lineEnd >= 0 && lineEnd < close ? lineEnd : close;
  const lines = missing.map((m) => `\n${indent}${m},`).join("");
  return [...addComma, { start: at, end: at, text: at === close ? `${lines}\n` : lines }];
}

/** Index of the brace closing the one at `open`, skipping strings and comments; -1 if none. */
function matchingBrace(source: string, open: number): number {
  let depth = 0;
  for (let i = open; i < source.length; i = skip(source, i) + 1) {
    const c = source[i];
    if (c === "{" || c === "[" || c === "(") depth++;
    else if (c === "}" || c === "]" || c === ")") {
      depth--;
      if (depth === 0) return i;
    }
  }
  return -1;
}

/** If a string or comment starts at i, the index of its last character; else i. */
function skip(source: string, i: number): number {
  const c = source[i];
  if (c === '"' || c === "'" || c === "`") {
    let j = i + 1;
    while (j < source.length && source[j] !== c) j += source[j] === "\\" ? 2 : 1;
    return j;
  }
  if (c === "/" && source[i + 1] === "/") {
    const nl = source.indexOf("\n", i);
    return nl < 0 ? source.length : nl - 1;
  }
  if (c === "/" && source[i + 1] === "*") {
    const endComment = source.indexOf("*/", i + 2);
    return endComment < 0 ? source.length : endComment + 1;
  }
  return i;
}

/** The `key: value` pairs directly inside the object body [start, end). */
function topLevelProperties(source: string, start: number, end: number): Property[] {
  const props: Property[] = [];
  let segmentStart = start;
  let depth = 0;
  const finish = (segmentEnd: number) => {
    const segment = source.slice(segmentStart, segmentEnd);
    const m = /^(\s*(?:\/\/[^\n]*\n\s*|\/\*[\s\S]*?\*\/\s*)*)(["']?)([A-Za-z_$][\w$]*)\2\s*:\s*/.exec(segment);
    if (m) {
      const valueStart = segmentStart + m[0].length;
      const valueText = source.slice(valueStart, segmentEnd).replace(/(\s|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*$/, "");
      props.push({ key: m[3], valueStart, valueEnd: valueStart + valueText.length });
    }
    segmentStart = segmentEnd + 1;
  };
  for (let i = start; i < end; i = skip(source, i) + 1) {
    const c = source[i];
    if (c === "{" || c === "[" || c === "(") depth++;
    else if (c === "}" || c === "]" || c === ")") depth--;
    else if (c === "," && depth === 0) finish(i);
  }
  finish(end);
  return props;
}
