/**
 * Reading the extension's own output in the workbench: its diagnostics (by code) in the Problems
 * panel, its hover statistics, its dashboard. Selectors for VS Code's parts live in workbench.ts;
 * this file knows what RL Playground shows in them.
 */
import { waitFor } from "./harness";
import type { ProblemRow, Workbench } from "./workbench";

/** The source name the language server gives its diagnostics, and the codes of design §5. */
export type DiagnosticCode =
  | "reward-constant"
  | "user-code-threw"
  | "not-finite"
  | "baseline-recommended"
  | "gradient-noise"
  | "transpile-error"
  | "missing-environment";

/** The language server's diagnostic source, as the Problems panel shows it. */
export const serverSource = "rl-playground";

export function rowsWithCode(rows: ProblemRow[], code: DiagnosticCode): ProblemRow[] {
  return rows.filter((r) => r.source === serverSource && r.code === code);
}

/** "[Ln 12, Col 5]" of a Problems row. */
export function rowPlace(row: ProblemRow): { line: number; column: number } | undefined {
  const m = /Ln (\d+), Col (\d+)/.exec(row.text);
  return m ? { line: Number(m[1]), column: Number(m[2]) } : undefined;
}

/** Hover statistics look like the reward hover of design §3: returns and the gradient's numbers. */
export const statisticsPattern = /return|snr|variance|trace/i;

/** Re-shows the hover at a place until it carries statistics (the first check may still be running). */
export async function waitForStatisticsHover(workbench: Workbench, line: number, column: number, timeoutMs: number): Promise<string> {
  const { value } = await waitFor(
    `the statistics hover at ${line}:${column}`,
    async () => {
      const text = await workbench.hoverText(line, column);
      await workbench.dismiss();
      return text;
    },
    (text) => statisticsPattern.test(text),
    { timeoutMs, intervalMs: 1_000 },
  );
  return value;
}
