/**
 * Bundles a user's environment file with esbuild: local imports are followed,
 * `"rl-playground"` stays external (the runner supplies its runtime), and the source
 * map is kept so a runtime error maps back to the user's line and column.
 */
import * as path from "node:path";
import * as esbuild from "./esbuildLoader";
import type { SourcePlace } from "./failure";

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

/** `contents` overrides the file on disk (an unsaved editor buffer). */
export async function bundleEnvironment(file: string, contents?: string): Promise<BundleResult> {
  const entry = path.resolve(file);
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
