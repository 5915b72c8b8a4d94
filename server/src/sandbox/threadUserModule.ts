/**
 * Runs a bundled environment file inside the runner (a worker thread): evaluates the
 * bundle, finds the default-exported Environment, the optional `reward` and `training`
 * exports, and wraps every call into user code so that a throw becomes a
 * `UserCodeError` placed on the user's line (through the bundle's source map) and the
 * watcher always knows which user function is running.
 */
import { createRequire } from "node:module";
import * as path from "node:path";
import * as vm from "node:vm";
import * as runtime from "../runtime/index";
import type { Environment, Reward, Transition, TrainingOptions } from "../runtime/index";
import { CallGuard, UserCall, type FailureCallName } from "./callGuard";
import { show } from "../rl/envSpec";
import { UserCodeError, fail, type SourcePlace, type UserEnvironmentModule } from "../rl/userCode";
import type { EnvironmentBundle } from "./bundle";
import { BundleMap, bundleFileName } from "./bundleMap";

/** Taken before any user code runs: a file that replaces `globalThis.setTimeout` must not stall `settled`. */
const engineTimers = { setTimeout, setImmediate };

export type RewardFunction = (t: Transition<unknown, unknown>) => Reward;

/**
 * The engine's view of the user's file (`rl/userCode.ts`), plus what only the runner needs.
 * Whatever reads objects user code returned (getters, proxies) belongs inside `guarded`'s
 * `fn` too, so nothing user-defined runs unwatched.
 */
export interface UserModule extends UserEnvironmentModule {
  /**
   * Lets timers and promise callbacks that user code left behind run, and throws the first
   * error one of them threw (`user-code-threw`): call it before reporting a result, so an
   * error thrown asynchronously is never lost.
   */
  settled(): Promise<void>;
}

export function loadUserModule(bundle: EnvironmentBundle, guard: CallGuard, map = new BundleMap(bundle)): UserModule {
  const virtualName = bundleFileName(bundle);

  /** Map a thrown value's stack to the first frame inside the user's files. */
  const placeOf = (error: unknown): SourcePlace | undefined =>
    error instanceof Error ? map.placeInStack(String(error.stack ?? "")) : undefined;

  const describe = (error: unknown): string =>
    error instanceof Error
      ? `${error.name}: ${error.message}`
      : typeof error === "string"
        ? JSON.stringify(error)
        : `${show(error)} (not an Error, so it carries no stack: throw new Error(...) instead)`;

  const threw = (call: FailureCallName, error: unknown): never => {
    if (error instanceof UserCodeError) throw error;
    if (error instanceof RangeError && /allocation failed/i.test(error.message))
      fail(
        "user-code-crashed",
        call,
        `${call === "load" ? "the file" : call + "()"} ran out of memory: ${error.message}. The runner's memory is limited; look for an allocation that is too large or grows without bound.`,
        placeOf(error),
      );
    throw new UserCodeError({
      code: "user-code-threw",
      call,
      message: `${call === "load" ? "the file" : call + "()"} threw ${describe(error)}`,
      place: placeOf(error),
      ...(typeof error === "string" ? { thrownText: error } : {}),
    });
  };

  // Errors thrown in timers and promise callbacks surface here, after the call that
  // scheduled them returned; the first is reported by `settled`.
  let asyncError: { error: unknown } | null = null;
  const recordAsync = (error: unknown) => {
    asyncError ??= { error };
  };
  // Emscripten (the wasm backend) installs listeners that rethrow, which would kill the runner
  // before the error is placed: ours replace them (listeners are per thread).
  for (const event of ["uncaughtException", "unhandledRejection"] as const) {
    process.removeAllListeners(event);
    process.on(event, recordAsync);
  }
  const settled = async (): Promise<void> => {
    // Zero-delay timers run in the next timers phase; rejections are reported after microtasks.
    await new Promise((resolve) => engineTimers.setTimeout(resolve, 0));
    await new Promise((resolve) => engineTimers.setImmediate(resolve));
    if (!asyncError) return;
    const { error } = asyncError;
    throw new UserCodeError({
      code: "user-code-threw",
      call: "none",
      message:
        `an error was thrown asynchronously (in a timer or a promise, after the call that scheduled it returned): ${describe(error)}. ` +
        "The engine calls reset, step and reward synchronously and does not wait for their callbacks: do that work inside the call, or catch its errors.",
      place: placeOf(error),
      ...(typeof error === "string" ? { thrownText: error } : {}),
    });
  };

  // Evaluate the bundle as a CommonJS module whose `require("rl-playground")` is our runtime.
  const nodeRequire = createRequire(bundle.entry);
  const requireForUser = (id: string): unknown => (id === "rl-playground" ? runtime : nodeRequire(id));
  const module = { exports: {} as Record<string, unknown> };
  guard.enter(UserCall.load);
  try {
    const fn = vm.compileFunction(bundle.code, ["exports", "require", "module", "__filename", "__dirname"], {
      filename: virtualName,
    });
    fn(module.exports, requireForUser, module, bundle.entry, path.dirname(bundle.entry));
  } catch (error) {
    threw("load", error);
  } finally {
    guard.exit();
  }

  const guarded = <T>(call: FailureCallName, fn: () => T): T => {
    guard.enter(UserCall[call]);
    try {
      return fn();
    } catch (error) {
      return threw(call, error);
    } finally {
      guard.exit();
    }
  };

  // The exports are the user's objects: a getter or a proxy among them is user code, read
  // here under the guard, once. `training` is copied to plain data, so the engine's reads of
  // it later (validation, settings) run no user code.
  const found = guarded("load", () => {
    const exports = module.exports;
    const EnvClass: unknown = exports.default;
    const isEnvironment = typeof EnvClass === "function" && EnvClass.prototype instanceof runtime.Environment;
    const rewardExport: unknown = exports.reward;
    return {
      EnvClass,
      isEnvironment,
      name: isEnvironment ? String((EnvClass as { name?: unknown }).name ?? "") : "",
      rewardExport,
      badReward: rewardExport !== undefined && typeof rewardExport !== "function" ? show(rewardExport) : null,
      training: plainCopy(exports.training) as TrainingOptions | undefined,
    };
  });
  if (!found.isEnvironment) {
    fail(
      "missing-environment",
      "load",
      found.EnvClass === undefined
        ? 'the file has no default export: add `export default class MyEnv extends Environment { ... }` (Environment from "rl-playground")'
        : 'the default export is not a class extending Environment from "rl-playground"',
    );
  }
  const { rewardExport, training } = found;
  if (found.badReward !== null)
    throw new UserCodeError({
      code: "bad-step",
      call: "load",
      member: "reward",
      message: `the \`reward\` export is ${found.badReward}, not a function: export a function of the transition, e.g. \`export function reward(t) { return -Math.abs(t.nextObservation[0]); }\`, or remove the export to use the reward step() returns`,
    });
  const Ctor = found.EnvClass as new () => Environment<unknown, unknown>;

  return {
    name: found.name || path.basename(bundle.entry).replace(/\.rl\.ts$|\.ts$/, ""),
    training,
    hasRewardExport: typeof rewardExport === "function",
    create: () => guarded("construct", () => new Ctor()),
    guarded,
    reward: (t) => (rewardExport as RewardFunction)(t),
    settled,
  };
}

const MAX_COPIED_LENGTH = 4096;

/**
 * Arrays and plain objects copied (their getters run now), key order kept; anything else as
 * it is (a function, a class instance: the settings' validation says what is wrong with it).
 */
function plainCopy(value: unknown, seen = new Map<object, unknown>()): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (seen.has(value)) return seen.get(value);
  // A huge array is no setting: left for the validation to refuse, not copied.
  if (Array.isArray(value) && value.length > MAX_COPIED_LENGTH) return value;
  if (Array.isArray(value)) {
    const out: unknown[] = [];
    seen.set(value, out);
    for (let k = 0; k < value.length; k++) out.push(plainCopy(value[k], seen));
    return out;
  }
  const proto: unknown = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return value;
  const out: Record<string, unknown> = {};
  seen.set(value, out);
  for (const key of Object.keys(value)) out[key] = plainCopy((value as Record<string, unknown>)[key], seen);
  return out;
}
