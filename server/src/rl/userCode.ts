/**
 * What the engine needs from the user's environment file, and how it reports that the
 * file broke the contract. Declared here, on the engine's side, so that `rl/` depends on
 * no runner: the sandbox implements `UserEnvironmentModule` and `Cancellation`, and
 * catches `UserCodeError` at the top of a runner to turn it into a diagnostic.
 */
import type { DiagnosticCode, FailingEpisode } from "../protocol";
import type { Environment, Transition, TrainingOptions } from "../runtime/index";

/** The user function a call or a failure is about ("none": the engine's own code). */
export type UserCallName = "none" | "load" | "construct" | "reset" | "step" | "reward" | "render" | "close";

/** The loaded environment file, as the engine uses it. */
export interface UserEnvironmentModule {
  /** Class name of the default export, for messages and run folders. */
  name: string;
  training: TrainingOptions | undefined;
  hasRewardExport: boolean;
  /** A fresh environment instance (guarded constructor). */
  create(): Environment<unknown, unknown>;
  /**
   * Runs `fn` as a call into user code named `call`: timed by the watchdog, and a throw
   * becomes a `UserCodeError` placed on the user's line.
   */
  guarded<T>(call: UserCallName, fn: () => T): T;
  /** The `reward` export; call it inside `guarded("reward", ...)`. */
  reward(t: Transition<unknown, unknown>): unknown;
}

/** Set by whoever started the work to ask for a stop; read between episodes and updates. */
export interface Cancellation {
  readonly cancelled: boolean;
}

/** A place in a user's source file; line and character are 0-based. */
export interface SourcePlace {
  file: string;
  line: number;
  character: number;
}

/** A class property, or (`training`, `reward`) an export of the file, that a failure is about. */
export type EnvironmentMember = "observationSpace" | "actionSpace" | "maxEpisodeSteps" | "rewardThreshold" | "training" | "reward";

/**
 * User code failed: a value that crosses from the runner to its caller, which turns it
 * into a diagnostic. `call` names the user function at fault so the caller can place
 * the diagnostic on it when there is no better place (`place`, e.g. the throwing line).
 */
export interface UserFailure {
  code: DiagnosticCode;
  message: string;
  call: UserCallName;
  place?: SourcePlace;
  /** The class property at fault (a malformed space, say). */
  member?: EnvironmentMember;
  /** With member `training`: the property of the export at fault, e.g. "episodesPerUpdate" or "policy.hidden". */
  property?: string;
  /**
   * A string that was thrown (`throw "text"`): no stack says where, so the caller looks
   * for the `throw` statement with that text.
   */
  thrownText?: string;
  /** More failures the same check found (every bad property of `training`): one diagnostic each. */
  also?: UserFailure[];
  /** The episode that leads to it, shrunk (a failure found while sampling). */
  episode?: FailingEpisode;
}

/** Thrown inside the runner; caught at its top and sent as a `UserFailure`. */
export class UserCodeError extends Error {
  constructor(readonly failure: UserFailure) {
    super(failure.message);
  }
}

export function fail(code: DiagnosticCode, call: UserCallName, message: string, place?: SourcePlace): never {
  throw new UserCodeError({ code, call, message, place });
}

export function failOnMember(code: DiagnosticCode, member: EnvironmentMember, message: string, property?: string): never {
  throw new UserCodeError({ code, call: "construct", message, member, property });
}
