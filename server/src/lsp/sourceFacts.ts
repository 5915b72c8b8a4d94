/**
 * Facts read from an environment file's syntax tree without running it: the literal
 * `training` export, `rewardThreshold`, the action space when it is written as a literal,
 * and the environment class's name. Anything not written as a literal is unknown (null).
 */
import ts from "typescript";
import type { TrainingSettings } from "../protocol";

export function parse(source: string, fileName = "environment.rl.ts"): ts.SourceFile {
  return ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

/** The `export const training = {...}` declaration, if any. */
export function findTrainingExport(sf: ts.SourceFile): ts.VariableDeclaration | null {
  for (const s of sf.statements) {
    if (!ts.isVariableStatement(s) || !isExported(s)) continue;
    for (const d of s.declarationList.declarations) if (ts.isIdentifier(d.name) && d.name.text === "training") return d;
  }
  return null;
}

/** The class that extends Environment: the default-exported one first, else the first one. */
export function findEnvironmentClass(sf: ts.SourceFile): ts.ClassDeclaration | null {
  const classes = sf.statements
    .filter(ts.isClassDeclaration)
    .filter((c) =>
      c.heritageClauses?.some(
        (h) => h.token === ts.SyntaxKind.ExtendsKeyword && h.types.some((t) => /\bEnvironment\b/.test(t.expression.getText(sf))),
      ),
    );
  return classes.find((c) => hasModifier(c, ts.SyntaxKind.DefaultKeyword)) ?? classes[0] ?? null;
}

/** The object literal of the `training` export, evaluated where it is literal; null otherwise. */
export function readTrainingLiteral(source: string): Partial<TrainingSettings> | undefined {
  const init = findTrainingExport(parse(source))?.initializer;
  const value = init ? literalValue(unwrap(init)) : undefined;
  return value && typeof value === "object" && !Array.isArray(value) ? (value as Partial<TrainingSettings>) : undefined;
}

export function staticRewardThreshold(source: string): number | null {
  const env = findEnvironmentClass(parse(source));
  const init = env && propertyInitializer(env, "rewardThreshold");
  const value = init ? literalValue(unwrap(init)) : undefined;
  return typeof value === "number" ? value : null;
}

export function staticActionSpace(source: string): { kind: "discrete"; n: number } | { kind: "box"; dims: number } | null {
  const env = findEnvironmentClass(parse(source));
  const init = env && propertyInitializer(env, "actionSpace");
  if (!init || !ts.isNewExpression(init) || !ts.isIdentifier(init.expression)) return null;
  const args = (init.arguments ?? []).map((a) => literalValue(unwrap(a)));
  if (init.expression.text === "Discrete" && typeof args[0] === "number") return { kind: "discrete", n: args[0] };
  if (init.expression.text === "Box") {
    if (Array.isArray(args[0])) return { kind: "box", dims: args[0].length };
    if (typeof args[2] === "number") return { kind: "box", dims: args[2] };
    if (typeof args[0] === "number" && typeof args[1] === "number") return { kind: "box", dims: 1 };
  }
  return null;
}

export function staticEnvironmentName(source: string): string | null {
  return findEnvironmentClass(parse(source))?.name?.text ?? null;
}

function propertyInitializer(cls: ts.ClassDeclaration, name: string): ts.Expression | null {
  for (const m of cls.members)
    if (ts.isPropertyDeclaration(m) && ts.isIdentifier(m.name) && m.name.text === name && m.initializer) return m.initializer;
  return null;
}

/** `x as const`, `x satisfies T`, `(x)`: the expression inside. */
export function unwrap(e: ts.Expression): ts.Expression {
  for (;;) {
    if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e)) e = e.expression;
    else return e;
  }
}

type Literal = number | string | boolean | null | Literal[] | { [key: string]: Literal };

/** A JSON-like literal's value, or undefined when any part of it is computed. */
function literalValue(e: ts.Expression): Literal | undefined {
  if (ts.isNumericLiteral(e)) return Number(e.text);
  if (ts.isPrefixUnaryExpression(e) && e.operator === ts.SyntaxKind.MinusToken && ts.isNumericLiteral(e.operand))
    return -Number(e.operand.text);
  if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) return e.text;
  if (e.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (e.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (e.kind === ts.SyntaxKind.NullKeyword) return null;
  if (ts.isArrayLiteralExpression(e)) {
    const items = e.elements.map((x) => literalValue(unwrap(x)));
    return items.every((x) => x !== undefined) ? (items as Literal[]) : undefined;
  }
  if (ts.isObjectLiteralExpression(e)) {
    const out: { [key: string]: Literal } = {};
    for (const p of e.properties) {
      if (!ts.isPropertyAssignment(p) || !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name))) return undefined;
      const v = literalValue(unwrap(p.initializer));
      if (v === undefined) return undefined;
      out[p.name.text] = v;
    }
    return out;
  }
  return undefined;
}

export function isExported(node: ts.Node): boolean {
  return hasModifier(node, ts.SyntaxKind.ExportKeyword);
}

export function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);
}
