/**
 * Where things are in an environment file, found with the TypeScript compiler API
 * (not regexes): the default-exported class and its `reset`/`step`/constructor, the
 * `reward` export, and the reward expression that `step` returns. Diagnostics about
 * a user function are placed on these ranges.
 */
import ts from "typescript";
import type { Range } from "../protocol";
import type { UserCallName } from "../sandbox/callGuard";

export interface SourcePlaces {
  /** The first statement, for problems of the file as a whole. */
  file: Range;
  environmentClass: Range | null;
  methods: Partial<Record<"constructor" | "reset" | "step", Range>>;
  /** The name of the exported `reward` function. */
  rewardFunction: Range | null;
  /** The reward element of `step`'s first `return [...]` with five elements. */
  stepRewardExpression: Range | null;
}

export function findSourcePlaces(fileName: string, text: string): SourcePlaces {
  const sf = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const range = (node: ts.Node): Range => {
    const start = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    const end = sf.getLineAndCharacterOfPosition(node.getEnd());
    return { start, end };
  };
  const first = sf.statements.find((s) => !ts.isImportDeclaration(s)) ?? sf.statements[0];
  const places: SourcePlaces = {
    file: first ? firstLineOf(range(first), text) : { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    environmentClass: null,
    methods: {},
    rewardFunction: null,
    stepRewardExpression: null,
  };

  const classes = new Map<string, ts.ClassDeclaration>();
  let defaultClass: ts.ClassDeclaration | undefined;
  let defaultName: string | undefined;
  for (const s of sf.statements) {
    if (ts.isClassDeclaration(s)) {
      if (s.name) classes.set(s.name.text, s);
      if (hasModifier(s, ts.SyntaxKind.DefaultKeyword)) defaultClass = s;
    }
    if (ts.isExportAssignment(s) && !s.isExportEquals && ts.isIdentifier(s.expression)) defaultName = s.expression.text;
    if (ts.isFunctionDeclaration(s) && s.name?.text === "reward" && hasModifier(s, ts.SyntaxKind.ExportKeyword))
      places.rewardFunction = range(s.name);
    if (ts.isVariableStatement(s) && hasModifier(s, ts.SyntaxKind.ExportKeyword))
      for (const d of s.declarationList.declarations)
        if (ts.isIdentifier(d.name) && d.name.text === "reward") places.rewardFunction = range(d.name);
  }
  defaultClass ??= defaultName ? classes.get(defaultName) : undefined;
  if (!defaultClass) return places;

  places.environmentClass = range(defaultClass.name ?? defaultClass);
  for (const member of defaultClass.members) {
    if (ts.isConstructorDeclaration(member)) {
      places.methods.constructor = range(member.getFirstToken(sf) ?? member);
      continue;
    }
    if (!ts.isMethodDeclaration(member) || !ts.isIdentifier(member.name)) continue;
    const name = member.name.text;
    if (name === "reset" || name === "step") places.methods[name] = range(member.name);
    if (name === "step" && member.body) places.stepRewardExpression = findStepReward(member.body, range);
  }
  return places;
}

/** The range a failure of `call` is placed on, when no throwing line is known. */
export function placeOfCall(places: SourcePlaces, call: UserCallName): Range {
  switch (call) {
    case "reward":
      return places.rewardFunction ?? places.stepRewardExpression ?? places.methods.step ?? places.environmentClass ?? places.file;
    case "reset":
    case "step":
      return places.methods[call] ?? places.environmentClass ?? places.file;
    case "construct":
      return places.methods.constructor ?? places.environmentClass ?? places.file;
    default:
      return places.environmentClass ?? places.file;
  }
}

/** Reward diagnostics go where the user would fix them: the reward function, or step's reward expression. */
export function placeOfReward(places: SourcePlaces): Range {
  return places.rewardFunction ?? places.stepRewardExpression ?? places.methods.step ?? places.environmentClass ?? places.file;
}

function findStepReward(body: ts.Block, range: (n: ts.Node) => Range): Range | null {
  let found: Range | null = null;
  const visit = (node: ts.Node): void => {
    if (found) return;
    if (ts.isReturnStatement(node) && node.expression) {
      const e = skipParens(node.expression);
      const arr = ts.isAsExpression(e) || ts.isSatisfiesExpression(e) ? skipParens(e.expression) : e;
      if (ts.isArrayLiteralExpression(arr) && arr.elements.length === 5) {
        found = range(arr.elements[1]);
        return;
      }
    }
    // Returns inside nested functions belong to those functions.
    if (ts.isFunctionLike(node)) return;
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(body, visit);
  return found;
}

function skipParens(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  return e;
}

function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);
}

function firstLineOf(r: Range, text: string): Range {
  if (r.start.line === r.end.line) return r;
  const line = text.split("\n")[r.start.line] ?? "";
  return { start: r.start, end: { line: r.start.line, character: line.length } };
}
