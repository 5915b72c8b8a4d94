/** What every scenario file exports, and what the runner hands it. */
import type { StepRecorder } from "./harness";
import type { Session } from "./session";
import type { Workbench } from "./workbench";
import type { WorkspaceFolder } from "./workspace";

export interface ScenarioContext {
  session: Session;
  /** The trusted workbench (the main code-server instance). */
  workbench: Workbench;
  workspace: WorkspaceFolder;
  untrustedWorkspace: WorkspaceFolder;
  steps: StepRecorder;
  /** Facts a later scenario reads (scenario 6 checks what scenario 5 trained). */
  shared: Map<string, unknown>;
}

export interface Scenario {
  id: number;
  title: string;
  run(context: ScenarioContext): Promise<void>;
}

/** How long the first check of a freshly opened file may take (runner start, tfjs load, probe). */
export const firstCheckMs = 60_000;
/** Diagnostics "within a few seconds" of an edit (scenario 2); design §6 asks 500 ms p95 on the examples. */
export const editToDiagnosticMs = 5_000;
