/**
 * What "RL: New Environment" and "RL: Add Editor Typings" write, as pure functions of text (no
 * `vscode`, so unit tests import it). A new environment is one file from the template, opened
 * as a tab of its own: the editor type-checks it through the TypeScript server plugin, so no
 * `tsconfig.json` or typings are written unasked. "RL: Add Editor Typings" writes those on
 * request: a `tsconfig.json` that maps `import … from "rl-playground"` to the runtime's typings
 * copied into the workspace, for `tsc` on the command line.
 */
import * as path from "node:path";

/** Where the runtime's `.d.ts` goes, relative to the workspace folder. */
export const TYPINGS_DIR = ".rl-playground/types/rl-playground";
export const TYPINGS_FILE = `${TYPINGS_DIR}/index.d.ts`;
const CLASS_PLACEHOLDER = "__CLASS_NAME__";

/** `my-env` → `MyEnv`; a name that does not start with a letter gets `Env` in front. */
export function classNameFor(baseName: string): string {
  const words = baseName.split(/[^A-Za-z0-9]+/).filter(Boolean);
  const name = words.map((w) => w[0].toUpperCase() + w.slice(1)).join("");
  return /^[A-Za-z]/.test(name) ? name : `Env${name}`;
}

/** Why a file name cannot be used, or undefined when it can (the `.rl.ts` suffix is added). */
export function invalidBaseName(baseName: string): string | undefined {
  if (!baseName.trim()) return "Give the environment a name.";
  if (!/^[A-Za-z0-9][A-Za-z0-9_-]*$/.test(baseName)) return "Use letters, digits, '-' and '_' only.";
  return undefined;
}

export function environmentSource(template: string, baseName: string): string {
  return template.split(CLASS_PLACEHOLDER).join(classNameFor(baseName));
}

/** What "RL: New Environment" does in a folder: the files it writes (relative paths) and the one it opens. */
export interface NewEnvironmentPlan {
  writes: { path: string; text: string }[];
  /** Opened as a tab of its own (not a preview the next Quick Open replaces). */
  open: { path: string; preview: false };
}

export function planNewEnvironment(template: string, baseName: string): NewEnvironmentPlan {
  const file = `${baseName}.rl.ts`;
  return { writes: [{ path: file, text: environmentSource(template, baseName) }], open: { path: file, preview: false } };
}

export function newTsconfig(): string {
  const config = {
    compilerOptions: {
      target: "ES2022",
      module: "ES2022",
      moduleResolution: "bundler",
      strict: true,
      noEmit: true,
      skipLibCheck: true,
      paths: { "rl-playground": [`./${TYPINGS_FILE}`] },
    },
    include: ["**/*.ts"],
  };
  return `${JSON.stringify(config, null, 2)}\n`;
}

export type TsconfigUpdate =
  | { kind: "unchanged" }
  | { kind: "merged"; text: string }
  /** The file is not plain JSON (comments, trailing commas): the user adds the mapping. */
  | { kind: "manual"; mapping: string };

/**
 * Adds the `rl-playground` path mapping to an existing tsconfig. Paths resolve against
 * `baseUrl` when it is set, else against the tsconfig's folder (TypeScript ≥ 4.1).
 */
export function mergeTsconfig(existing: string): TsconfigUpdate {
  const mapping = `"paths": { "rl-playground": ["./${TYPINGS_FILE}"] }`;
  let config: unknown;
  try {
    config = JSON.parse(existing);
  } catch {
    return { kind: "manual", mapping };
  }
  if (!isRecord(config)) return { kind: "manual", mapping };
  const options = isRecord(config.compilerOptions) ? config.compilerOptions : {};
  const paths = isRecord(options.paths) ? options.paths : {};
  if (paths["rl-playground"] !== undefined) return { kind: "unchanged" };
  const baseUrl = typeof options.baseUrl === "string" ? options.baseUrl : ".";
  const target = path.posix.relative(baseUrl.replace(/\\/g, "/"), TYPINGS_FILE);
  const updated = {
    ...config,
    compilerOptions: { ...options, paths: { ...paths, "rl-playground": [target.startsWith("../") ? target : `./${target}`] } },
  };
  return { kind: "merged", text: `${JSON.stringify(updated, null, 2)}\n` };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
