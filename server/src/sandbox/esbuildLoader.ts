/**
 * esbuild's JavaScript API for bundling users' files, usable from a bundle that has no
 * node_modules around it (the installed .vsix). esbuild's API runs its native binary as a
 * child process; when the API is bundled it cannot find that binary by package resolution,
 * but it honours `ESBUILD_BINARY_PATH`. The build (esbuild.mjs) copies the binary for this
 * platform to `dist/bin/`, so the .vsix is per platform (`vsce package --target`).
 *
 * Why native rather than esbuild-wasm: measured here bundling examples/cartpole.rl.ts, native
 * takes ~4 ms a build (p50) and ~0.1 s to start; esbuild-wasm ~180 ms a build and ~4 s to
 * start, too slow for diagnostics within 500 ms of a keystroke. esbuild-wasm's Node API also
 * spawns `node` from PATH, which an editor's user need not have.
 *
 * Same shape as `import * as esbuild from "esbuild"` for what the sandbox uses.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type * as Esbuild from "esbuild";

export type BuildFailure = Esbuild.BuildFailure;

let api: typeof Esbuild | undefined;

export const build: typeof Esbuild.build = (options) => loadEsbuild().build(options);

/** Kills esbuild's child process (a build that does not end); the next build starts a new one. */
export const stop = (): void => {
  if (api) void api.stop();
};

function loadEsbuild(): typeof Esbuild {
  if (api) return api;
  const shipped = path.join(__dirname, "bin", process.platform === "win32" ? "esbuild.exe" : "esbuild");
  // Set before esbuild's module is first evaluated: it reads the variable once, at load.
  if (!process.env.ESBUILD_BINARY_PATH && fs.existsSync(shipped)) process.env.ESBUILD_BINARY_PATH = shipped;
  api = require("esbuild") as typeof Esbuild;
  return api;
}
