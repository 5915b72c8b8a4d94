/**
 * "Debug failing episode": the program a VS Code debug session (Node's debugger) runs to replay
 * a failing episode on the user's own code, outside any runner, so that the debugger can stop in
 * it. Usage: `node dist/debugReplay.js FILE EPISODE_JSON DIR`.
 *
 * It bundles the environment as the runner does, writes the bundle to DIR with an inline source
 * map whose sources are the user's files (absolute `file:` URLs, contents included), loads it
 * from there, and replays the episode with the replay's own checks (`replayActions`). The steps
 * before the failing one run as they are; while the failing one runs, `globalThis[FAILING_STEP_FLAG]`
 * is true, which is the condition of the breakpoint the editor sets on the failing line. A
 * failure that is no throw (a non-finite reward, an observation outside the space) is only found
 * once the step has returned: then, or when no breakpoint stopped, the debugger stops in
 * `failingStepReturned`, whose only locals are the failure, what the step returned and the
 * environment after it.
 */
import * as fs from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import * as vm from "node:vm";
import { DEBUG_STOPPED_FLAG, FAILING_STEP_FLAG, type FailingEpisode } from "./protocol";
import * as runtime from "./runtime/index";
import { describeEnvironment } from "./rl/envSpec";
import { describeReplayStep, replayActions } from "./rl/failingEpisode";
import { UserCodeError, type UserEnvironmentModule, type UserFailure } from "./rl/userCode";
import { bundleEnvironment, type EnvironmentBundle } from "./sandbox/bundle";

type EnvironmentClass = new () => runtime.Environment<unknown, unknown>;
const flags = globalThis as Record<string, unknown>;

async function main(): Promise<number> {
  const [file, episodeFile, dir] = process.argv.slice(2);
  if (!file || !episodeFile || !dir) {
    console.error("usage: node debugReplay.js FILE EPISODE_JSON DIR");
    return 2;
  }
  const episode = JSON.parse(fs.readFileSync(episodeFile, "utf8")) as FailingEpisode;
  const bundled = await bundleEnvironment(path.resolve(file));
  if (!bundled.ok) {
    console.error(`${file} does not compile: ${bundled.errors[0].message}`);
    return 1;
  }
  const exports = load(bundled.bundle, dir);
  const Env = exports.default as EnvironmentClass;
  if (typeof Env !== "function") {
    console.error(`${file} has no default-exported Environment class.`);
    return 1;
  }
  const reward = exports.reward as ((t: unknown) => unknown) | undefined;

  // The failing step is the one after the last action but one (the reset itself when there is no action).
  const failingCall = episode.actions.length;
  let stepCalls = 0;
  let returned: unknown = undefined;
  let environment: runtime.Environment<unknown, unknown> | undefined;
  flags[FAILING_STEP_FLAG] = failingCall === 0;
  const user: UserEnvironmentModule = {
    name: Env.name,
    training: undefined,
    hasRewardExport: typeof reward === "function",
    create: () => {
      const env = new Env();
      environment = env;
      const step = env.step;
      // Own property over the class's method: the user's `this` and private fields are untouched.
      env.step = (action: unknown) => {
        if (++stepCalls === failingCall) flags[FAILING_STEP_FLAG] = true;
        returned = step.call(env, action);
        return returned as ReturnType<typeof step>;
      };
      return env;
    },
    guarded: (call, fn) => {
      try {
        return fn();
      } catch (error) {
        if (error instanceof UserCodeError) throw error;
        throw new UserCodeError({ code: "user-code-threw", call, message: `${call}() threw ${String(error)}` });
      }
    },
    reward: (t) => (reward as (t: unknown) => unknown)(t),
  };

  const spec = describeEnvironment(user.create());
  stepCalls = 0;
  console.log(`Replaying reset(seed=${episode.seed}) and ${episode.actions.length} action(s) of ${path.basename(file)}.`);
  let steps = 0;
  const failure = replayActions(user, spec, episode.seed, episode.actions, (s) => console.log(describeReplayStep(s, steps++)));
  flags[FAILING_STEP_FLAG] = false;
  if (!failure) {
    console.log("The episode did not fail this time (the file changed, or it draws from randomness no seed controls).");
    return 0;
  }
  console.log(`Then ${failure.code}: ${failure.message}`);
  if (flags[DEBUG_STOPPED_FLAG] !== true) failingStepReturned(failure, returned, environment);
  return 0;
}

/**
 * Where the debugger stops when no breakpoint in the user's code did: its locals, shown first in
 * the Variables view, are what went wrong (`failure`), what the failing step returned
 * (`returned`, undefined when reset() failed) and the environment as that step left it.
 */
function failingStepReturned(failure: UserFailure, returned: unknown, environment: unknown): void {
  debugger; // eslint-disable-line no-debugger
  void [failure, returned, environment];
}

/** Writes the bundle with an inline source map to the user's files, and evaluates it as a CommonJS module. */
function load(bundle: EnvironmentBundle, dir: string): Record<string, unknown> {
  const from = path.dirname(bundle.entry);
  const map = JSON.parse(bundle.map) as { sources: string[]; sourcesContent?: (string | null)[]; sourceRoot?: string; mappings: string };
  const sources = map.sources.map((s) => path.resolve(from, s));
  map.sources = sources.map((s) => pathToFileURL(s).href);
  map.sourcesContent = sources.map((s) => (fs.existsSync(s) ? fs.readFileSync(s, "utf8") : null));
  delete map.sourceRoot;
  // Run as a script (the module wrapper on a line of its own, which the map skips): js-debug
  // pauses before a script with a source map executes, reads the map and binds the breakpoints
  // in the user's file. A compiled function gives it no such moment, and the replay is over in
  // microseconds.
  map.mappings = `;${map.mappings}`;
  const code =
    "(function (exports, require, module, __filename, __dirname) {\n" +
    `${bundle.code}\n})\n//# sourceMappingURL=data:application/json;base64,${Buffer.from(JSON.stringify(map)).toString("base64")}\n`;
  const script = path.join(dir, path.basename(bundle.entry).replace(/\.[cm]?tsx?$/, "") + ".js");
  fs.writeFileSync(script, code);
  const nodeRequire = createRequire(bundle.entry);
  const module = { exports: {} as Record<string, unknown> };
  const fn = vm.runInThisContext(code, { filename: script }) as (...args: unknown[]) => void;
  fn(module.exports, (id: string) => (id === "rl-playground" ? runtime : nodeRequire(id)), module, bundle.entry, from);
  return module.exports;
}

main().then(
  (code) => (process.exitCode = code),
  (error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exitCode = 1;
  },
);
