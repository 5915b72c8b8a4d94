/**
 * The one reader of an environment file's syntax tree (the TypeScript compiler API, not
 * regexes): where the default-exported class and its `reset`/`step`/constructor are, the
 * `reward` export, the reward expression that `step` returns, the `training` export's
 * properties. Diagnostics about a user function are placed on these ranges, and the language
 * server's edits (quick fixes, the dashboard's write-back) find their nodes with the
 * primitives at the end of this file (through `api.ts`).
 */
import ts from "typescript";
import type { Range } from "../protocol";
import type { UserCallName } from "../sandbox/callGuard";
import type { EnvironmentMember } from "../rl/userCode";

export interface SourcePlaces {
  /** The first statement, for problems of the file as a whole. */
  file: Range;
  environmentClass: Range | null;
  /** A class that extends Environment but is not the default export (for `missing-environment`). */
  otherEnvironmentClass: Range | null;
  methods: Partial<Record<"constructor" | "reset" | "step" | "render" | "close", Range>>;
  /** Class properties such as `observationSpace = new Box(...)`: their names. */
  members: Partial<Record<EnvironmentMember, Range>>;
  /** Named reward terms: the property names of the object the `reward` function returns. */
  rewardTerms: Record<string, Range>;
  /** The name of the exported `reward` function. */
  rewardFunction: Range | null;
  /** The reward element of `step`'s first `return [...]` with five elements. */
  stepRewardExpression: Range | null;
  /** Properties of the `training` export's object literal, by path ("episodesPerUpdate", "policy.hidden"). */
  trainingProperties: Record<string, Range>;
  /**
   * Loops among the statements run at module load (outside functions and classes), the
   * endless-looking ones (`while (true)`, `for (;;)`) first: where a load that never
   * returns is placed.
   */
  loadLoops: Range[];
  /** `throw` statements whose value is a string literal, by that string (first of each). */
  thrownStrings: Record<string, Range>;
}

/** How many files' latest places are kept: a check, the CodeLens and hovers ask for the same text in turn. */
const REMEMBERED_FILES = 8;
const remembered = new Map<string, { text: string; places: SourcePlaces }>();

/** The places of `text` (a copy: callers may keep or change it), parsed once per text of a file. */
export function findSourcePlaces(fileName: string, text: string): SourcePlaces {
  const known = remembered.get(fileName);
  if (known?.text === text) return structuredClone(known.places);
  const places = parsePlaces(fileName, text);
  remembered.delete(fileName);
  remembered.set(fileName, { text, places });
  if (remembered.size > REMEMBERED_FILES) remembered.delete(remembered.keys().next().value as string);
  return structuredClone(places);
}

/**
 * A syntax tree too deep for the parser's recursion (an array literal nested thousands deep)
 * overflows the stack: then every place is the file's first line, so the diagnostics still
 * come, only less precisely placed.
 */
function parsePlaces(fileName: string, text: string): SourcePlaces {
  try {
    return placesInTree(fileName, text);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return nothingFound({ start: { line: 0, character: 0 }, end: { line: 0, character: Math.max(1, text.split("\n", 1)[0]!.length) } });
  }
}

/** Places before anything is found: every diagnostic falls back to `file`. */
function nothingFound(file: Range): SourcePlaces {
  return {
    file,
    environmentClass: null,
    otherEnvironmentClass: null,
    methods: {},
    members: {},
    rewardTerms: {},
    rewardFunction: null,
    stepRewardExpression: null,
    trainingProperties: {},
    loadLoops: [],
    thrownStrings: {},
  };
}

function placesInTree(fileName: string, text: string): SourcePlaces {
  const sf = parseSource(text, fileName);
  const range = (node: ts.Node): Range => {
    const start = sf.getLineAndCharacterOfPosition(node.getStart(sf));
    const end = sf.getLineAndCharacterOfPosition(node.getEnd());
    return { start, end };
  };
  const first = sf.statements.find((s) => !ts.isImportDeclaration(s)) ?? sf.statements[0];
  const places: SourcePlaces = {
    ...nothingFound(first ? firstLineOf(range(first), text) : { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }),
    loadLoops: findLoadLoops(sf, range),
    thrownStrings: findThrownStrings(sf, range),
  };

  const classes = new Map<string, ts.ClassDeclaration>();
  let defaultClass: ts.ClassDeclaration | undefined;
  let defaultName: string | undefined;
  for (const s of sf.statements) {
    if (ts.isClassDeclaration(s)) {
      if (s.name) classes.set(s.name.text, s);
      const extendsEnvironment = s.heritageClauses?.some((h) => h.types.some((t) => /\bEnvironment\b/.test(t.expression.getText(sf))));
      if (extendsEnvironment && !places.otherEnvironmentClass) places.otherEnvironmentClass = range(s.name ?? s);
      if (hasModifier(s, ts.SyntaxKind.DefaultKeyword)) defaultClass = s;
    }
    if (ts.isExportAssignment(s) && !s.isExportEquals && ts.isIdentifier(s.expression)) defaultName = s.expression.text;
    if (ts.isFunctionDeclaration(s) && s.name?.text === "reward" && hasModifier(s, ts.SyntaxKind.ExportKeyword)) {
      places.rewardFunction = range(s.name);
      if (s.body) places.rewardTerms = findReturnedTerms(s.body, range);
    }
    if (ts.isFunctionDeclaration(s) && s.name?.text === "training" && hasModifier(s, ts.SyntaxKind.ExportKeyword))
      places.members.training = range(s.name);
    if (ts.isVariableStatement(s) && hasModifier(s, ts.SyntaxKind.ExportKeyword))
      for (const d of s.declarationList.declarations)
        if (ts.isIdentifier(d.name) && d.name.text === "training") {
          places.members.training = range(d.name);
          const init = d.initializer && unwrap(d.initializer);
          if (init && ts.isObjectLiteralExpression(init)) places.trainingProperties = findProperties(init, range);
        } else if (ts.isIdentifier(d.name) && d.name.text === "reward") {
          places.rewardFunction = range(d.name);
          const init = d.initializer && skipParens(d.initializer);
          if (init && (ts.isArrowFunction(init) || ts.isFunctionExpression(init))) places.rewardTerms = findReturnedTerms(init.body, range);
        }
  }
  if (places.rewardFunction) places.members.reward = places.rewardFunction;
  defaultClass ??= defaultName ? classes.get(defaultName) : undefined;
  if (!defaultClass) return places;

  places.environmentClass = range(defaultClass.name ?? defaultClass);
  for (const member of defaultClass.members) {
    if (ts.isConstructorDeclaration(member)) {
      places.methods.constructor = range(member.getFirstToken(sf) ?? member);
      continue;
    }
    if (ts.isPropertyDeclaration(member) && ts.isIdentifier(member.name) && MEMBERS.includes(member.name.text as EnvironmentMember))
      places.members[member.name.text as EnvironmentMember] = range(member.name);
    if (!ts.isMethodDeclaration(member) || !ts.isIdentifier(member.name)) continue;
    const name = member.name.text;
    if (name === "reset" || name === "step" || name === "render" || name === "close") places.methods[name] = range(member.name);
    if (name === "step" && member.body) places.stepRewardExpression = findStepReward(member.body, range);
  }
  return places;
}

const MEMBERS: EnvironmentMember[] = ["observationSpace", "actionSpace", "maxEpisodeSteps", "rewardThreshold"];

/** Property names of the object literal(s) a reward function returns: `return { goal: ..., progress: ... }`. */
function findReturnedTerms(body: ts.ConciseBody, range: (n: ts.Node) => Range): Record<string, Range> {
  const terms: Record<string, Range> = {};
  const collect = (e: ts.Expression) => {
    const obj = skipParens(e);
    if (!ts.isObjectLiteralExpression(obj)) return;
    for (const p of obj.properties)
      if ((ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) && (ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)))
        terms[p.name.text] ??= range(p.name);
  };
  if (!ts.isBlock(body)) {
    collect(body);
    return terms;
  }
  const visit = (node: ts.Node): void => {
    if (ts.isReturnStatement(node) && node.expression) collect(node.expression);
    if (ts.isFunctionLike(node)) return;
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(body, visit);
  return terms;
}

/** The properties of an object literal, nested ones by dotted path. */
function findProperties(obj: ts.ObjectLiteralExpression, range: (n: ts.Node) => Range, prefix = ""): Record<string, Range> {
  const out: Record<string, Range> = {};
  for (const p of obj.properties) {
    if (!(ts.isPropertyAssignment(p) || ts.isShorthandPropertyAssignment(p)) || !(ts.isIdentifier(p.name) || ts.isStringLiteral(p.name)))
      continue;
    const path = prefix + p.name.text;
    out[path] = range(p.name);
    const value = ts.isPropertyAssignment(p) ? skipParens(p.initializer) : null;
    if (value && ts.isObjectLiteralExpression(value)) Object.assign(out, findProperties(value, range, path + "."));
  }
  return out;
}

/** Loops run at module load: in top-level statements, not inside functions or classes. */
function findLoadLoops(sf: ts.SourceFile, range: (n: ts.Node) => Range): Range[] {
  const endless: Range[] = [];
  const others: Range[] = [];
  const isTrue = (e: ts.Expression | undefined) => e === undefined || e.kind === ts.SyntaxKind.TrueKeyword;
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) || ts.isClassLike(node)) return;
    if (
      ts.isWhileStatement(node) ||
      ts.isDoStatement(node) ||
      ts.isForStatement(node) ||
      ts.isForInStatement(node) ||
      ts.isForOfStatement(node)
    ) {
      const condition = ts.isForStatement(node)
        ? node.condition
        : ts.isWhileStatement(node) || ts.isDoStatement(node)
          ? node.expression
          : null;
      (condition !== null && isTrue(condition ?? undefined) ? endless : others).push(firstLineOf(range(node), sf.text));
    }
    ts.forEachChild(node, visit);
  };
  for (const statement of sf.statements) visit(statement);
  return [...endless, ...others];
}

/** `throw "text"` statements, by their text. */
function findThrownStrings(sf: ts.SourceFile, range: (n: ts.Node) => Range): Record<string, Range> {
  const out: Record<string, Range> = {};
  const visit = (node: ts.Node): void => {
    if (ts.isThrowStatement(node)) {
      const e = skipParens(node.expression);
      if (ts.isStringLiteral(e) || ts.isNoSubstitutionTemplateLiteral(e)) out[e.text] ??= range(node);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** The range a failure of `call` is placed on, when no throwing line is known. */
export function placeOfCall(places: SourcePlaces, call: UserCallName): Range {
  switch (call) {
    case "reward":
      return places.rewardFunction ?? places.stepRewardExpression ?? places.methods.step ?? places.environmentClass ?? places.file;
    case "reset":
    case "step":
    case "render":
    case "close":
      return places.methods[call] ?? places.environmentClass ?? places.file;
    case "construct":
      // `methods` is an object literal: without an own constructor, `.constructor` is Object.
      return (
        (Object.hasOwn(places.methods, "constructor") ? places.methods.constructor : undefined) ?? places.environmentClass ?? places.file
      );
    default:
      return places.environmentClass ?? places.otherEnvironmentClass ?? places.file;
  }
}

/** Reward diagnostics go where the user would fix them: the reward function, or step's reward expression. */
export function placeOfReward(places: SourcePlaces): Range {
  return places.rewardFunction ?? places.stepRewardExpression ?? places.methods.step ?? places.environmentClass ?? places.file;
}

/**
 * The reward element of the `return [obs, reward, terminated, truncated, info]` statements
 * of step: the first that computes something (early exits often return a literal 0),
 * else the last.
 */
function findStepReward(body: ts.Block, range: (n: ts.Node) => Range): Range | null {
  const rewards: ts.Expression[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isReturnStatement(node) && node.expression) {
      const e = skipParens(node.expression);
      const arr = ts.isAsExpression(e) || ts.isSatisfiesExpression(e) ? skipParens(e.expression) : e;
      if (ts.isArrayLiteralExpression(arr) && arr.elements.length === 5) rewards.push(arr.elements[1]);
    }
    // Returns inside nested functions belong to those functions.
    if (ts.isFunctionLike(node)) return;
    ts.forEachChild(node, visit);
  };
  ts.forEachChild(body, visit);
  const isLiteral = (e: ts.Expression) => ts.isNumericLiteral(e) || (ts.isPrefixUnaryExpression(e) && ts.isNumericLiteral(e.operand));
  const chosen = rewards.find((e) => !isLiteral(e)) ?? rewards[rewards.length - 1];
  return chosen ? range(chosen) : null;
}

function skipParens(e: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(e)) e = e.expression;
  return e;
}

function firstLineOf(r: Range, text: string): Range {
  if (r.start.line === r.end.line) return r;
  const line = text.split("\n")[r.start.line] ?? "";
  return { start: r.start, end: { line: r.start.line, character: line.length } };
}

// The primitives the server's edits find their nodes with.

/** The syntax tree of a file's text, with parent links (a node's text and place can be asked for). */
export function parseSource(text: string, fileName = "environment.rl.ts"): ts.SourceFile {
  return ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
}

/** The `export const training = ...` declaration, if any. */
export function findTrainingExport(sf: ts.SourceFile): ts.VariableDeclaration | null {
  for (const s of sf.statements) {
    if (!ts.isVariableStatement(s) || !hasModifier(s, ts.SyntaxKind.ExportKeyword)) continue;
    for (const d of s.declarationList.declarations) if (ts.isIdentifier(d.name) && d.name.text === "training") return d;
  }
  return null;
}

/** Whether a top-level statement declares `name` (exported or not). */
export function declaresTopLevel(sf: ts.SourceFile, name: string): boolean {
  return sf.statements.some(
    (s) =>
      (ts.isVariableStatement(s) && s.declarationList.declarations.some((d) => ts.isIdentifier(d.name) && d.name.text === name)) ||
      ((ts.isFunctionDeclaration(s) || ts.isClassDeclaration(s)) && s.name?.text === name),
  );
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

export function hasModifier(node: ts.Node, kind: ts.SyntaxKind): boolean {
  return ts.canHaveModifiers(node) && (ts.getModifiers(node) ?? []).some((m) => m.kind === kind);
}

/** A node's range in LSP terms (0-based lines and characters). */
export function rangeOfNode(sf: ts.SourceFile, node: ts.Node): Range {
  return { start: sf.getLineAndCharacterOfPosition(node.getStart(sf)), end: sf.getLineAndCharacterOfPosition(node.getEnd()) };
}
