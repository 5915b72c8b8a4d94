/** Where things are in an environment file's syntax tree, for the quick fixes: the `training` export and the environment class. */
import ts from "typescript";

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

/** `x as const`, `x satisfies T`, `(x)`: the expression inside. */
export function unwrap(e: ts.Expression): ts.Expression {
  for (;;) {
    if (ts.isParenthesizedExpression(e) || ts.isAsExpression(e) || ts.isSatisfiesExpression(e)) e = e.expression;
    else return e;
  }
}

export function isExported(node: ts.Node): boolean {
  return hasModifier(node, ts.SyntaxKind.ExportKeyword);
}

export function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);
}
