/**
 * Every edit the language server makes to the user's source, computed on the file's syntax tree
 * (the TypeScript compiler API, read through the engine's one reader, `check/sourcePlaces.ts`):
 * the quick fixes of design §5 and the dashboard's write-back of training settings. Each keeps
 * the file compiling and leaves the rest of it (comments, layout, other keys) as it was; where
 * an edit cannot be made mechanically (the `training` export is not an object literal, no
 * `Math.random()` to replace, a default export that is something else) it is declined. No LSP here.
 */
import ts from "typescript";
import { declaresTopLevel, findEnvironmentClass, findTrainingExport, hasModifier, parseSource, rangeOfNode, unwrap } from "../api";
import { EDITABLE_SETTINGS, SUPPRESSION_PREFIX, type Range, type TrainingSettingsPatch } from "../protocol";

export interface TextEdit {
  range: Range;
  newText: string;
}

/** The gradient-noise fix never asks for more episodes per update than this (memory and time per update). */
export const EPISODES_PER_UPDATE_CAP = 256;

/** `baseline-recommended`: `baseline: "mean"` in the `training` export, created when absent. */
export function setMeanBaseline(source: string): TextEdit[] | null {
  return editsOrNull(setTrainingProperties(source, [["baseline", '"mean"']]));
}

/**
 * `gradient-noise`: the batch size for a target SNR. SNR = N / noiseScale at N episodes per
 * update (design §3: snr = ‖∇J‖² / (traceCov / N), noiseScale = traceCov / ‖∇J‖²), so
 * N = ⌈targetSnr · noiseScale⌉, capped at EPISODES_PER_UPDATE_CAP and at least 2.
 */
export function episodesForSnr(noiseScale: number, targetSnr: number): { episodes: number; capped: boolean } {
  const wanted = Math.max(2, Math.ceil(targetSnr * noiseScale));
  return { episodes: Math.min(wanted, EPISODES_PER_UPDATE_CAP), capped: wanted > EPISODES_PER_UPDATE_CAP };
}

export function setEpisodesPerUpdate(source: string, episodes: number): TextEdit[] | null {
  return editsOrNull(setTrainingProperties(source, [["episodesPerUpdate", String(episodes)]]));
}

/**
 * The dashboard's write-back: `settings` (already held to their rules) as the values of the
 * `training` export's properties. An edit that would change nothing is left out, so settings
 * the file already has give no edits.
 */
export function writeTrainingSettings(source: string, settings: TrainingSettingsPatch): TrainingEdit {
  const entries = EDITABLE_SETTINGS.flatMap((key): Array<[string, string]> => {
    const value = settings[key];
    return value === undefined ? [] : [[key, typeof value === "string" ? JSON.stringify(value) : String(value)]];
  });
  return setTrainingProperties(source, entries);
}

/** The edits, or why none can be made (a sentence for the user). */
export type TrainingEdit = { ok: true; edits: TextEdit[] } | { ok: false; reason: string };

const editsOrNull = (edit: TrainingEdit): TextEdit[] | null => (edit.ok ? edit.edits : null);

/**
 * Sets top-level properties of the `training` export's object literal: an existing property
 * gets its value replaced (the last one of that name: it is the one that counts), a missing one
 * is added after the last property (so it also overrides a spread `...base`), on its own line
 * when the literal spans lines. A file without the export gets one at its end.
 */
export function setTrainingProperties(source: string, entries: Array<[name: string, valueText: string]>): TrainingEdit {
  if (entries.length === 0) return { ok: true, edits: [] };
  const sf = parseSource(source);
  const decl = findTrainingExport(sf);
  if (!decl) {
    if (declaresTopLevel(sf, "training"))
      return { ok: false, reason: "the file declares `training` without `export const training = {...}`: edit it by hand" };
    const end = sf.getLineAndCharacterOfPosition(source.length);
    const lead = source.length === 0 || source.endsWith("\n") ? "" : "\n";
    const body = entries.map(([name, value]) => `${name}: ${value}`).join(", ");
    return { ok: true, edits: [{ range: { start: end, end }, newText: `${lead}\nexport const training = { ${body} };\n` }] };
  }
  const init = decl.initializer && unwrap(decl.initializer);
  if (!init || !ts.isObjectLiteralExpression(init))
    return { ok: false, reason: "the `training` export is not an object literal (`{ ... }`): edit it by hand" };
  const edits: TextEdit[] = [];
  const missing: string[] = [];
  for (const [name, valueText] of entries) {
    const existing = [...init.properties]
      .reverse()
      .find((p) => (ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) && propertyName(p) === name);
    if (existing && ts.isPropertyAssignment(existing)) {
      if (existing.initializer.getText(sf) !== valueText) edits.push({ range: rangeOfNode(sf, existing.initializer), newText: valueText });
    } else if (existing) edits.push({ range: rangeOfNode(sf, existing), newText: `${name}: ${valueText}` });
    else missing.push(`${name}: ${valueText}`);
  }
  if (missing.length > 0) edits.push(...appendProperties(sf, init, missing));
  return { ok: true, edits };
}

function propertyName(p: ts.PropertyAssignment | ts.ShorthandPropertyAssignment): string | null {
  return ts.isIdentifier(p.name) || ts.isStringLiteral(p.name) ? p.name.text : null;
}

/** `missing` ("key: value" each) after the literal's last property, keeping its layout and a comment ending that property's line. */
function appendProperties(sf: ts.SourceFile, literal: ts.ObjectLiteralExpression, missing: string[]): TextEdit[] {
  const at = (offset: number) => sf.getLineAndCharacterOfPosition(offset);
  const props = literal.properties;
  const last = props.at(-1);
  if (!last) {
    const inner = { start: at(literal.getStart(sf) + 1), end: at(literal.getEnd() - 1) };
    const empty = sf.text.slice(literal.getStart(sf) + 1, literal.getEnd() - 1).trim() === "";
    // `{}` or `{ }` becomes `{ key: value }`; a literal holding only comments keeps them.
    return [{ range: empty ? inner : { start: inner.start, end: inner.start }, newText: ` ${missing.join(", ")} ` }];
  }
  const trailingComma = props.hasTrailingComma;
  // The comma after the last property, when there is one, ends at props.end.
  const afterLast = trailingComma ? props.end : last.getEnd();
  const multiLine = at(last.getStart(sf)).line > at(literal.getStart(sf)).line;
  if (!multiLine) {
    const text = `${trailingComma ? " " : ", "}${missing.join(", ")}${trailingComma ? "," : ""}`;
    return [{ range: { start: at(afterLast), end: at(afterLast) }, newText: text }];
  }
  // After a comment that ends the last property's line (`seed: 1, // fixed`), not inside it.
  const lineOfLast = at(afterLast).line;
  const comments = (ts.getTrailingCommentRanges(sf.text, afterLast) ?? []).filter((c) => at(c.pos).line === lineOfLast);
  const insertAt = comments.at(-1)?.end ?? afterLast;
  const lineStart = sf.getPositionOfLineAndCharacter(at(last.getStart(sf)).line, 0);
  const indent = /^[ \t]*/.exec(sf.text.slice(lineStart))![0];
  const lines = missing.map((m) => `\n${indent}${m}`).join(",") + (trailingComma ? "," : "");
  const insert = (offset: number, text: string): TextEdit => ({ range: { start: at(offset), end: at(offset) }, newText: text });
  // Without a trailing comma the last property gets one: in the same insert when nothing lies between.
  if (trailingComma) return [insert(insertAt, lines)];
  return insertAt === last.getEnd() ? [insert(insertAt, `,${lines}`)] : [insert(last.getEnd(), ","), insert(insertAt, lines)];
}

/**
 * `nondeterministic-reset` from Math.random: every `Math.random()` in the environment
 * class's instance methods becomes `this.rng()` (same distribution, seeded by reset).
 * Calls inside nested `function`s are left alone: `this` is not the environment there.
 */
export function useThisRng(source: string): TextEdit[] | null {
  const sf = parseSource(source);
  const env = findEnvironmentClass(sf);
  if (!env) return null;
  const edits: TextEdit[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isClassLike(node)) return;
    if (isMathRandomCall(node)) edits.push({ range: rangeOfNode(sf, node), newText: "this.rng()" });
    ts.forEachChild(node, visit);
  };
  for (const member of env.members) {
    const isStatic = hasModifier(member, ts.SyntaxKind.StaticKeyword);
    if (isStatic) continue;
    if ((ts.isMethodDeclaration(member) || ts.isGetAccessor(member) || ts.isSetAccessor(member)) && member.body)
      ts.forEachChild(member.body, visit);
    if (ts.isPropertyDeclaration(member) && member.initializer) visit(member.initializer);
  }
  return edits.length ? edits : null;
}

function isMathRandomCall(node: ts.Node): node is ts.CallExpression {
  if (!ts.isCallExpression(node) || node.arguments.length !== 0) return false;
  const callee = node.expression;
  return (
    ts.isPropertyAccessExpression(callee) &&
    ts.isIdentifier(callee.expression) &&
    callee.expression.text === "Math" &&
    callee.name.text === "random"
  );
}

/** `missing-environment`: `export default` on the class that extends Environment, when nothing else is the default. */
export function exportEnvironmentAsDefault(source: string): TextEdit[] | null {
  const sf = parseSource(source);
  const env = findEnvironmentClass(sf);
  if (!env || hasModifier(env, ts.SyntaxKind.DefaultKeyword) || hasDefaultExport(sf)) return null;
  const exportKeyword = (ts.getModifiers(env) ?? []).find((m) => m.kind === ts.SyntaxKind.ExportKeyword);
  if (exportKeyword) {
    const at = sf.getLineAndCharacterOfPosition(exportKeyword.getEnd());
    return [{ range: { start: at, end: at }, newText: " default" }];
  }
  // Insert before the first modifier (`abstract`) or `class`: `export default abstract class` is valid.
  const classKeyword = env.getChildren(sf).find((c) => c.kind === ts.SyntaxKind.ClassKeyword);
  const first = (ts.getModifiers(env) ?? [])[0] ?? classKeyword;
  if (!first) return null;
  const at = sf.getLineAndCharacterOfPosition(first.getStart(sf));
  return [{ range: { start: at, end: at }, newText: "export default " }];
}

function hasDefaultExport(sf: ts.SourceFile): boolean {
  return sf.statements.some(
    (s) =>
      (ts.isExportAssignment(s) && !s.isExportEquals) ||
      (hasModifier(s, ts.SyntaxKind.DefaultKeyword) && hasModifier(s, ts.SyntaxKind.ExportKeyword)) ||
      (ts.isExportDeclaration(s) &&
        !!s.exportClause &&
        ts.isNamedExports(s.exportClause) &&
        s.exportClause.elements.some((e) => e.name.text === "default")),
  );
}

/** Applies non-overlapping edits to a text (for tests and for previews). */
export function applyEdits(source: string, edits: TextEdit[]): string {
  const lineStarts = [0];
  for (let i = 0; i < source.length; i++) if (source[i] === "\n") lineStarts.push(i + 1);
  const offset = (p: { line: number; character: number }) => (lineStarts[p.line] ?? source.length) + p.character;
  const sorted = [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start));
  let out = source;
  for (const e of sorted) out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
  return out;
}

/**
 * `invalid-training` for a key that is no setting but close to one ("did you mean
 * learningRate?"): renames the key of the `training` export's property at `at` (the
 * diagnostic's place; in `policy`/`value` too). Null when no such property key is there.
 */
export function renameTrainingKey(source: string, at: Range, newName: string): TextEdit[] | null {
  const sf = parseSource(source);
  const decl = findTrainingExport(sf);
  const init = decl?.initializer && unwrap(decl.initializer);
  if (!init || !ts.isObjectLiteralExpression(init)) return null;
  const offset = sf.getPositionOfLineAndCharacter(at.start.line, at.start.character);
  let found: ts.Identifier | ts.StringLiteral | null = null;
  const visit = (literal: ts.ObjectLiteralExpression): void => {
    for (const p of literal.properties) {
      if (!ts.isPropertyAssignment(p) || !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) continue;
      if (offset >= p.getStart(sf) && offset < p.getEnd()) {
        const inner = unwrap(p.initializer);
        // A nested setting (policy.hidden) lies inside its parent's property: look there first.
        if (ts.isObjectLiteralExpression(inner)) visit(inner);
        found ??= p.name;
      }
    }
  };
  visit(init);
  if (!found) return null;
  const name: ts.Identifier | ts.StringLiteral = found;
  return [{ range: rangeOfNode(sf, name), newText: ts.isStringLiteral(name) ? JSON.stringify(newName) : newName }];
}

/**
 * Any diagnostic: a suppression comment on the line above its place, indented like that line,
 * with a reason for the user to fill in (a suppression without one silences nothing).
 */
export function addSuppression(source: string, at: Range, code: string): TextEdit[] {
  const line = source.split("\n")[at.start.line] ?? "";
  const indent = /^\s*/.exec(line)?.[0] ?? "";
  return [
    {
      range: { start: { line: at.start.line, character: 0 }, end: { line: at.start.line, character: 0 } },
      newText: `${indent}// ${SUPPRESSION_PREFIX} ${code}: why it does not apply here\n`,
    },
  ];
}
