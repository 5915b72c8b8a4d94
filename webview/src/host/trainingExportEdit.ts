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
  const replacements: Array<{ start: number; end: number; text: string }> = [];
  const missing: string[] = [];
  for (const [key, val] of entries) {
    const prop = props.find((p) => p.key === key);
    if (prop) replacements.push({ start: prop.valueStart, end: prop.valueEnd, text: val });
    else missing.push(`${key}: ${val}`);
  }
  if (missing.length > 0) replacements.push(insertion(source, open, close, missing));
  let out = source;
  for (const r of replacements.sort((a, b) => b.start - a.start)) out = out.slice(0, r.start) + r.text + out.slice(r.end);
  return out;
}

function literal(value: unknown): string {
  return typeof value === "string" ? JSON.stringify(value) : String(value);
}

/** Where new keys go: after the last property, on its own line when the object spans lines. */
function insertion(source: string, open: number, close: number, missing: string[]) {
  const body = source.slice(open + 1, close);
  const lastChar = body.replace(/\s+$/, "");
  const end = open + 1 + lastChar.length;
  if (lastChar.trim() === "") return { start: open + 1, end: close, text: ` ${missing.join(", ")} ` };
  const comma = lastChar.endsWith(",") ? "" : ",";
  const indent = /\n([ \t]+)\S/.exec(body)?.[1];
  const text = indent ? `${comma}\n${missing.map((m) => `${indent}${m},`).join("\n")}` : `${comma} ${missing.join(", ")}`;
  return { start: end, end, text };
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
