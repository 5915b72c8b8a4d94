/**
 * Bundles a user's environment file with esbuild: local imports are followed,
 * `"rl-playground"` stays external (the runner supplies its runtime), and the source
 * map is kept so a runtime error maps back to the user's line and column.
 */
import * as path from "node:path";
import * as esbuild from "./esbuildLoader";
import type { SourcePlace } from "./failure";
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

export type BundleResult = { ok: true; bundle: EnvironmentBundle } | { ok: false; errors: TranspileError[] };

/**
 * A bundle takes milliseconds (about 4 ms for an example, well under a second for thousands
 * of lines); one that runs this long is stuck, and a stuck one would hold every check after it.
 */
export const BUNDLE_TIMEOUT_MS = 10_000;

class BundleTimeout extends Error {}

const atFileStart = (entry: string, message: string): BundleResult => ({
  ok: false,
  errors: [{ message, length: 0, place: { file: entry, line: 0, character: 0 } }],
});

/** `contents` overrides the file on disk (an unsaved editor buffer). */
export async function bundleEnvironment(file: string, contents?: string, timeoutMs = BUNDLE_TIMEOUT_MS): Promise<BundleResult> {
  const entry = path.resolve(file);
  const refused =
    contents === undefined
      ? refusedSource(entry)
      : Buffer.byteLength(contents) > MAX_SOURCE_BYTES
        ? `the file is over the limit of ${MAX_SOURCE_BYTES / 2 ** 20} MiB for a source file`
        : null;
  if (refused) return atFileStart(entry, refused);
  try {
    return await withTimeout(build(entry, contents), timeoutMs);
  } catch (error) {
    if (!(error instanceof BundleTimeout)) throw error;
    // The build goes on in esbuild's process: end that process, so it cannot grow or spin.
    esbuild.stop();
    return atFileStart(
      entry,
      `bundling did not finish within ${timeoutMs / 1000} s (esbuild was stopped): look for an import of a huge or endless file`,
    );
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new BundleTimeout()), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

async function build(entry: string, contents: string | undefined): Promise<BundleResult> {
  const dir = path.dirname(entry);
  try {
    const result = await esbuild.build({
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
      plugins: [sourceFileGuard()],
      logLevel: "silent",
    });
    const code = result.outputFiles.find((f) => f.path.endsWith(".js"))?.text ?? "";
    const map = result.outputFiles.find((f) => f.path.endsWith(".map"))?.text ?? "";
    return { ok: true, bundle: { entry, code, map } };
  } catch (error) {
    const failure = error as esbuild.BuildFailure;
    if (!Array.isArray(failure.errors)) throw error;
    return {
      ok: false,
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
