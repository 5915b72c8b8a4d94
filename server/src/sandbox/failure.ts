import type { DiagnosticCode } from "../protocol";
import type { UserCallName } from "./callGuard";

/** A place in a user's source file; line and character are 0-based. */
export interface SourcePlace {
  file: string;
  line: number;
  character: number;
}

/**
 * User code failed: a value that crosses from the runner to its caller, which turns it
 * into a diagnostic. `call` names the user function at fault so the caller can place
 * the diagnostic on it when there is no better place (`place`, e.g. the throwing line).
 */
/** A class property, or (`training`, `reward`) an export of the file, that a failure is about. */
export type EnvironmentMember = "observationSpace" | "actionSpace" | "maxEpisodeSteps" | "rewardThreshold" | "training" | "reward";

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
