/**
 * What the variance probe is asked for and what it reports: defined with the probe in
 * `rl/probeReport.ts`, re-exported for the runner (see `runnerMessages.ts` for the runner's
 * own messages).
 */
export type { ProbeFacts, ProbeReport, ProbeRequest } from "../rl/probeReport";
