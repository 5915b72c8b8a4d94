/** The failure values a runner sends to its caller are declared by the engine, which raises them. */
export { UserCodeError, fail, failOnMember, type EnvironmentMember, type SourcePlace, type UserFailure } from "../rl/userCode";
