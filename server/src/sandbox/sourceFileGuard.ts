/**
 * What the bundler may read. esbuild reads whatever a user's file imports, in its own
 * process, outside the runner's limits: `import data from "/dev/zero"` makes it read (and
 * hold) without end, a FIFO blocks it forever. This plugin resolves every import as esbuild
 * would, then refuses anything that is not a regular file, and regular files over
 * MAX_SOURCE_BYTES, with an error esbuild places on the import.
 *
 * Why 16 MiB: the largest source files a project imports are generated bundles and data
 * tables; TypeScript's own compiler, one of the largest JavaScript files in common use, is
 * about 9 MiB. esbuild holds a file's syntax tree at roughly ten times its size, so the cap
 * keeps one file under about 160 MiB of the bundler's memory. MAX_BUNDLE_BYTES bounds the
 * sum over every file of a bundle the same way.
 */
import * as fs from "node:fs";
import type * as Esbuild from "esbuild";

export const MAX_SOURCE_BYTES = 16 * 2 ** 20;
export const MAX_BUNDLE_BYTES = 64 * 2 ** 20;

const mib = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;

/** Why `file` must not be read, or null when it may. */
export function refusedSource(file: string): string | null {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch {
    // esbuild says what is wrong with a file it cannot read.
    return null;
  }
  const kind = stat.isDirectory()
    ? "a folder"
    : stat.isCharacterDevice() || stat.isBlockDevice()
      ? "a device"
      : stat.isFIFO()
        ? "a named pipe (FIFO)"
        : stat.isSocket()
          ? "a socket"
          : null;
  if (kind) return `${file} is ${kind}, not a source file: an environment can import only regular files`;
  if (stat.size > MAX_SOURCE_BYTES)
    return `${file} is ${mib(stat.size)}, over the limit of ${mib(MAX_SOURCE_BYTES)} for an imported file: read large data at run time (fs.readFileSync) instead of importing it`;
  return null;
}

/** Import paths the plugin's own `build.resolve` asks about, so that it does not ask itself again. */
const RESOLVING = Symbol("rl-playground resolving");

export function sourceFileGuard(): Esbuild.Plugin {
  return {
    name: "rl-playground-source-files",
    setup(build) {
      let total = 0;
      const seen = new Set<string>();
      build.onStart(() => {
        total = 0;
        seen.clear();
      });
      build.onResolve({ filter: /.*/ }, async (args) => {
        if (args.pluginData === RESOLVING || args.kind === "entry-point") return undefined;
        const resolved = await build.resolve(args.path, {
          kind: args.kind,
          importer: args.importer,
          resolveDir: args.resolveDir,
          namespace: args.namespace,
          pluginData: RESOLVING,
          with: args.with,
        });
        if (resolved.errors.length > 0 || resolved.external || resolved.namespace !== "file" || !resolved.path) return resolved;
        const refused = refusedSource(resolved.path);
        if (refused) return { errors: [{ text: refused }] };
        if (!seen.has(resolved.path)) {
          seen.add(resolved.path);
          total += fs.statSync(resolved.path).size;
          if (total > MAX_BUNDLE_BYTES)
            return {
              errors: [
                {
                  text: `the files this environment imports add up to over ${mib(MAX_BUNDLE_BYTES)} (the limit for one bundle) with ${resolved.path}: read large data at run time (fs.readFileSync) instead of importing it`,
                },
              ],
            };
        }
        return resolved;
      });
    },
  };
}
