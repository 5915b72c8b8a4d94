/**
 * esbuild's JavaScript API for bundling users' files, queued and timed per build (see
 * `build`), usable from a bundle that has no node_modules around it (the installed .vsix).
 * esbuild's API runs its native binary as a child process; when the API is bundled it
 * cannot find that binary by package resolution, but it honours `ESBUILD_BINARY_PATH`. The
 * build (esbuild.mjs) copies the binary for this platform to `dist/bin/`, so the .vsix is
 * per platform (`vsce package --target`).
 *
 * Why native rather than esbuild-wasm: measured here bundling examples/cartpole.rl.ts, native
 * takes ~4 ms a build (p50) and ~0.1 s to start; esbuild-wasm ~180 ms a build and ~4 s to
 * start, too slow for diagnostics within 500 ms of a keystroke. esbuild-wasm's Node API also
 * spawns `node` from PATH, which an editor's user need not have.
 *
 * `build` takes the build's own time limit beside esbuild's options.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type * as Esbuild from "esbuild";

export type BuildFailure = Esbuild.BuildFailure;
export type Loader = Esbuild.Loader;
export type Plugin = Esbuild.Plugin;

/**
 * Builds in esbuild's process at once; the others wait their turn. A bundle takes
 * milliseconds, so a queue costs little, and it keeps a build's time its own: fifty files
 * opened at once would otherwise share esbuild's threads fifty ways, and each one's clock
 * would count the other forty-nine. Two, so that one stuck build does not hold the rest.
 */
export const BUILDS_AT_ONCE = 2;

/** A build ran past its time limit (counted from its start in esbuild, not from when it was queued). */
export class BuildTimeout extends Error {}

interface Running {
  timedOut: boolean;
}

let api: typeof Esbuild | undefined;
const running = new Set<Running>();
const queue: Array<() => void> = [];

/**
 * esbuild's `build`, queued (see BUILDS_AT_ONCE) and timed: after `timeoutMs` of its own it
 * rejects with BuildTimeout. The build goes on in esbuild's process, so when every build
 * still there has timed out, that process is ended (it cannot grow or spin any longer), and
 * the next build starts a new one. A build that is on time is never stopped for another's.
 */
export function build(options: Esbuild.BuildOptions & { write: false }, timeoutMs: number): Promise<Esbuild.BuildResult<typeof options>> {
  return new Promise((resolve, reject) => {
    const start = () => {
      const self: Running = { timedOut: false };
      running.add(self);
      const timer = setTimeout(() => {
        self.timedOut = true;
        reject(new BuildTimeout(`the build ran for ${timeoutMs} ms`));
        stopIfAllTimedOut();
      }, timeoutMs);
      let esbuild: typeof Esbuild;
      try {
        esbuild = loadEsbuild();
      } catch (error) {
        finish(self, timer);
        reject(error);
        return;
      }
      esbuild
        .build(options)
        .then(resolve, reject)
        .finally(() => finish(self, timer));
    };
    if (running.size < BUILDS_AT_ONCE) start();
    else queue.push(start);
  });
}

function finish(self: Running, timer: NodeJS.Timeout): void {
  clearTimeout(timer);
  // Gone already when esbuild was stopped under it (a stopped build's promise never settles).
  if (!running.delete(self)) return;
  stopIfAllTimedOut();
  next();
}

function next(): void {
  while (running.size < BUILDS_AT_ONCE && queue.length) (queue.shift() as () => void)();
}

function stopIfAllTimedOut(): void {
  if (!running.size || [...running].some((r) => !r.timedOut)) return;
  running.clear();
  if (api) void api.stop();
  next();
}

function loadEsbuild(): typeof Esbuild {
  if (api) return api;
  const shipped = path.join(__dirname, "bin", process.platform === "win32" ? "esbuild.exe" : "esbuild");
  // Set before esbuild's module is first evaluated: it reads the variable once, at load.
  if (!process.env.ESBUILD_BINARY_PATH && fs.existsSync(shipped)) process.env.ESBUILD_BINARY_PATH = shipped;
  api = require("esbuild") as typeof Esbuild;
  return api;
}
