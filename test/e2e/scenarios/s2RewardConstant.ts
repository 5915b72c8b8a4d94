/**
 * Scenario 2: make the bandit's reward a constant; the reward-constant warning appears on the reward
 * (editor and Problems) within a few seconds; undo; it goes.
 */
import { check, waitFor } from "../harness";
import { rowsWithCode, waitForStatisticsHover } from "../rl";
import { editToDiagnosticMs, firstCheckMs, type Scenario } from "../scenario";

export const rewardConstant: Scenario = {
  id: 2,
  title: "constant reward: reward-constant warning appears, undo removes it",
  async run({ workbench, workspace, steps }) {
    const file = "bandit.rl.ts";
    const rewardExpression = "ARM_REWARDS[action]";
    const place = workspace.locate(file, `0, ${rewardExpression}`, { offset: 3 });

    await steps.step("open bandit.rl.ts and wait for its first check", async () => {
      await workbench.closeAllEditors();
      await workbench.openFile(file);
      const stepMethod = workspace.locate(file, "step(action", { offset: 1 });
      await waitForStatisticsHover(workbench, stepMethod.line, stepMethod.column, firstCheckMs);
      check((await workbench.squiggleLines("warning")).length === 0, `${file} has a warning before the edit`);
    });

    await steps.step(`replace ${rewardExpression} by the constant 1`, async () => {
      await workbench.goTo(place.line, place.column);
      await workbench.selectRight(rewardExpression.length);
      await workbench.insertText("1");
      await waitFor(
        "the edit in the editor",
        () => workbench.visibleText(),
        (text) => text.includes("return [0, 1, true, false, {}]"),
        { timeoutMs: 5_000 },
      );
    });
    const edited = Date.now();

    await steps.step("reward-constant warning on the reward line, in the editor and in Problems", async () => {
      const { ms } = await waitFor(
        `a warning squiggle on line ${place.line}`,
        () => workbench.squiggleLines("warning"),
        (lines) => lines.includes(place.line),
        { timeoutMs: editToDiagnosticMs },
      );
      console.log(`      squiggle ${ms} ms after the edit`);
      const rows = await waitFor(
        "reward-constant in Problems",
        () => workbench.problems(),
        (r) => rowsWithCode(r, "reward-constant").some((row) => row.severity === "warning" && row.line === place.line),
        { timeoutMs: Math.max(1_000, editToDiagnosticMs - (Date.now() - edited)) },
      );
      console.log(
        `      Problems row ${Date.now() - edited} ms after the edit: ${rowsWithCode(rows.value, "reward-constant")[0]?.text.slice(0, 160)}`,
      );
    });

    await steps.step("undo: the warning goes", async () => {
      await workbench.focusEditor();
      await workbench.undo();
      // The editor redraws after the keystroke: read its text until the undo shows (or the wait ends).
      await waitFor(
        "the reward expression restored by undo",
        () => workbench.visibleText(),
        (text) => text.includes(`return [0, ${rewardExpression}, true`),
        { timeoutMs: 5_000 },
      );
      const undone = Date.now();
      await waitFor(
        "no warning squiggle",
        () => workbench.squiggleLines("warning"),
        (lines) => lines.length === 0,
        { timeoutMs: editToDiagnosticMs },
      );
      await waitFor(
        "reward-constant gone from Problems",
        () => workbench.problems(),
        (r) => rowsWithCode(r, "reward-constant").length === 0,
        { timeoutMs: Math.max(1_000, editToDiagnosticMs - (Date.now() - undone)) },
      );
      console.log(`      cleared ${Date.now() - undone} ms after the undo`);
    });
  },
};
