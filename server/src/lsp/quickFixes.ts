/**
 * The quick fixes of design §5 as text edits, computed on the file's syntax tree (the
 * TypeScript compiler API): each keeps the file compiling, and returns null where the
 * fix cannot be made mechanically (the `training` export is not an object literal, no
 * `Math.random()` to replace, a default export that is something else). No LSP here.
 */
import ts from "typescript";
import { SUPPRESSION_PREFIX, type Range } from "../protocol";
import { findEnvironmentClass, findTrainingExport, hasModifier, parse, unwrap } from "./sourceFacts";

export interface TextEdit {
  range: Range;
  newText: string;
}

/** The gradient-noise fix never asks for more episodes per update than this (memory and time per update). */
export const EPISODES_PER_UPDATE_CAP = 256;

/** `baseline-recommended`: `baseline: "mean"` in the `training` export, created when absent. */
export function setMeanBaseline(source: string): TextEdit[] | null {
  return setTrainingProperty(source, "baseline", '"mean"');
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
  return setTrainingProperty(source, "episodesPerUpdate", String(episodes));
}

/** Sets a top-level property of the `training` export's object literal, or appends the export. */
export function setTrainingProperty(source: string, name: string, valueText: string): TextEdit[] | null {
  const sf = parse(source);
  const decl = findTrainingExport(sf);
  if (!decl) {
    if (declaresTopLevel(sf, "training")) return null;
    const end = sf.getLineAndCharacterOfPosition(source.length);
    const lead = source.length === 0 || source.endsWith("\n") ? "" : "\n";
    return [{ range: { start: end, end }, newText: `${lead}\nexport const training = { ${name}: ${valueText} };\n` }];
  }
  const init = decl.initializer && unwrap(decl.initializer);
  if (!init || !ts.isObjectLiteralExpression(init)) return null;
  const existing = init.properties.find(
    (p): p is ts.PropertyAssignment =>
      ts.isPropertyAssignment(p) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)) && p.name.text === name,
  );
  if (existing) return [{ range: rangeOf(sf, existing.initializer), newText: valueText }];
  if (init.properties.length === 0) return [{ range: rangeOf(sf, init), newText: `{ ${name}: ${valueText} }` }];
  // Insert before the first property, on its own line when the literal spans lines.
  const first = init.properties[0];
  const at = sf.getLineAndCharacterOfPosition(first.getStart(sf));
  const open = sf.getLineAndCharacterOfPosition(init.getStart(sf));
  const text = at.line > open.line ? `${name}: ${valueText},\n${" ".repeat(at.character)}` : `${name}: ${valueText}, `;
  return [{ range: { start: at, end: at }, newText: text }];
}

/**
 * `nondeterministic-reset` from Math.random: every `Math.random()` in the environment
 * class's instance methods becomes `this.rng()` (same distribution, seeded by reset).
 * Calls inside nested `function`s are left alone: `this` is not the environment there.
 */
export function useThisRng(source: string): TextEdit[] | null {
  const sf = parse(source);
  const env = findEnvironmentClass(sf);
  if (!env) return null;
  const edits: TextEdit[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionDeclaration(node) || ts.isFunctionExpression(node) || ts.isClassLike(node)) return;
    if (isMathRandomCall(node)) edits.push({ range: rangeOf(sf, node), newText: "this.rng()" });
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

export function usesMathRandomInEnvironment(source: string): boolean {
  return useThisRng(source) !== null;
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
  const sf = parse(source);
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

function declaresTopLevel(sf: ts.SourceFile, name: string): boolean {
  return sf.statements.some(
    (s) =>
      (ts.isVariableStatement(s) && s.declarationList.declarations.some((d) => ts.isIdentifier(d.name) && d.name.text === name)) ||
      ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s)) && s.name?.text === name),
  );
}

function rangeOf(sf: ts.SourceFile, node: ts.Node): Range {
  return { start: sf.getLineAndCharacterOfPosition(node.getStart(sf)), end: sf.getLineAndCharacterOfPosition(node.getEnd()) };
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
  const sf = parse(source);
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
  return [{ range: rangeOf(sf, name), newText: ts.isStringLiteral(name) ? JSON.stringify(newName) : newName }];
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
