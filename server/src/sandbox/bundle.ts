/**
 * Bundles a user's environment file with esbuild: local imports are followed,
 * `"rl-playground"` stays external (the runner supplies its runtime), and the source
 * map is kept so a runtime error maps back to the user's line and column. Imported files
 * are read from `sources` when it has them (the editor's unsaved buffers), else from disk;
 * every file the bundle read is listed in `inputs`, so the editor knows which checks a
 * changed file affects.
 */
import * as path from "node:path";
import * as esbuild from "./esbuildLoader";
import type { SourcePlace } from "../rl/userCode";
import { MAX_SOURCE_BYTES, refusedSource, sourceFileGuard } from "./sourceFileGuard";

export interface EnvironmentBundle {
  /** Absolute path of the environment file. */
  entry: string;
  /** CommonJS code. */
  code: string;
  /** Source map (JSON text); sources are relative to the entry's folder. */
  map: string;
}

export interface TranspileError {
  message: string;
  place: SourcePlace;
  /** Length of the offending text on its line, when esbuild knows it. */
  length: number;
}

/**
 * `inputs`: the absolute paths of the files the bundle read, the entry first; on failure,
 * those read before it failed (a syntax error in an imported file lists that file).
 */
export type BundleResult =
  { ok: true; bundle: EnvironmentBundle; inputs: string[] } | { ok: false; errors: TranspileError[]; inputs: string[] };

export interface BundleOptions {
  /** Unsaved contents of other files, by absolute path; undefined: read the file on disk. */
  sources?: (file: string) => string | undefined;
  /** The build's own time limit, not counting time queued behind other builds. */
  timeoutMs?: number;
}

/**
 * A bundle takes milliseconds (about 4 ms for an example, well under a second for thousands
 * of lines); one that runs this long on its own is stuck, and a stuck one would hold the
 * checks queued behind it.
 */
export const BUNDLE_TIMEOUT_MS = 10_000;

const atFileStart = (entry: string, message: string): BundleResult => ({
  ok: false,
  errors: [{ message, length: 0, place: { file: entry, line: 0, character: 0 } }],
  inputs: [entry],
});

/** `contents` overrides the file on disk (an unsaved editor buffer). */
export async function bundleEnvironment(file: string, contents?: string, options: BundleOptions = {}): Promise<BundleResult> {
  const { timeoutMs = BUNDLE_TIMEOUT_MS } = options;
  const entry = path.resolve(file);
  const refused =
    contents === undefined
      ? refusedSource(entry)
      : Buffer.byteLength(contents) > MAX_SOURCE_BYTES
        ? `the file is over the limit of ${MAX_SOURCE_BYTES / 2 ** 20} MiB for a source file`
        : null;
  if (refused) return atFileStart(entry, refused);
  const inputs = new Set<string>(contents === undefined ? [] : [entry]);
  try {
    return await build(entry, contents, timeoutMs, inputs, options.sources);
  } catch (error) {
    if (!(error instanceof esbuild.BuildTimeout)) throw error;
    return atFileStart(
      entry,
      `bundling did not finish within ${timeoutMs / 1000} s of its own (queued time not counted): look for an import of a huge or endless file`,
    );
  }
}

async function build(
  entry: string,
  contents: string | undefined,
  timeoutMs: number,
  inputs: Set<string>,
  sources: BundleOptions["sources"],
): Promise<BundleResult> {
  const dir = path.dirname(entry);
  try {
    const result = await esbuild.build(
      {
        ...(contents === undefined ? { entryPoints: [entry] } : { stdin: { contents, sourcefile: entry, resolveDir: dir, loader: "ts" } }),
        absWorkingDir: dir,
        bundle: true,
        write: false,
        format: "cjs",
        platform: "node",
        target: "node20",
        sourcemap: "external",
        sourcesContent: false,
        keepNames: true,
        outfile: path.join(dir, "__rl_playground_bundle.js"),
        external: ["rl-playground"],
        plugins: [sourceFileGuard(), openBuffers(inputs, sources)],
        logLevel: "silent",
      },
      timeoutMs,
    );
    const code = result.outputFiles.find((f) => f.path.endsWith(".js"))?.text ?? "";
    const map = result.outputFiles.find((f) => f.path.endsWith(".map"))?.text ?? "";
    return { ok: true, bundle: { entry, code, map }, inputs: [...inputs] };
  } catch (error) {
    const failure = error as esbuild.BuildFailure;
    if (!Array.isArray(failure.errors)) throw error;
    return {
      ok: false,
      inputs: [...inputs],
      errors: failure.errors.map((e) => ({
        message: e.text,
        length: e.location?.length ?? 0,
        place: {
          file: e.location ? path.resolve(dir, e.location.file === "<stdin>" ? entry : e.location.file) : entry,
          line: e.location ? e.location.line - 1 : 0,
          character: e.location ? e.location.column : 0,
        },
      })),
    };
  }
}

/** esbuild's loader for a file it would load by its extension; others are read from disk. */
const LOADERS: Record<string, esbuild.Loader> = {
  ".ts": "ts",
  ".mts": "ts",
  ".cts": "ts",
  ".tsx": "tsx",
  ".js": "js",
  ".mjs": "js",
  ".cjs": "js",
  ".jsx": "jsx",
  ".json": "json",
};

/**
 * Records every file esbuild loads (as it loads them, so a failed build knows its inputs too,
 * which its metafile would not), and serves the ones `sources` has from there: an edited,
 * unsaved helper is what the user sees, so it is what the check runs.
 */
function openBuffers(inputs: Set<string>, sources: BundleOptions["sources"]): esbuild.Plugin {
  return {
    name: "rl-playground-open-buffers",
    setup(build) {
      build.onLoad({ filter: /.*/, namespace: "file" }, (args) => {
        inputs.add(args.path);
        const loader = LOADERS[path.extname(args.path)];
        const text = loader ? sources?.(args.path) : undefined;
        if (text === undefined) return undefined;
        if (Buffer.byteLength(text) > MAX_SOURCE_BYTES)
          return { errors: [{ text: `${args.path} is over the limit of ${MAX_SOURCE_BYTES / 2 ** 20} MiB for a source file` }] };
        return { contents: text, loader };
      });
    },
  };
}
