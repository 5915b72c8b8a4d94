/** The user's journey as scenarios, in the order they run (6 reads what 5 trained). */
import type { Scenario } from "../scenario";
import { openExample } from "./s1OpenExample";
import { rewardConstant } from "./s2RewardConstant";
import { throwInStep } from "./s3ThrowInStep";
import { baselineQuickFix } from "./s4BaselineQuickFix";
import { train } from "./s5Train";
import { reload } from "./s6Reload";
import { newEnvironment } from "./s7NewEnvironment";
import { workspaceTrust } from "./s8WorkspaceTrust";
import { outcomes } from "./s9Outcomes";
import { debugFailingEpisode } from "./s10DebugFailingEpisode";
import { fuzzAndDebugNonFinite } from "./s11FuzzAndDebugNonFinite";

export const scenarios: Scenario[] = [
  openExample,
  rewardConstant,
  throwInStep,
  baselineQuickFix,
  train,
  reload,
  newEnvironment,
  outcomes,
  debugFailingEpisode,
  fuzzAndDebugNonFinite,
  // Last: it stops the trusted code-server (the machine runs one instance at a time).
  workspaceTrust,
];
