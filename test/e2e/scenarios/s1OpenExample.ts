/** Scenario 1: open cartpole.rl.ts; no error or warning; the hover on `step` shows the statistics; a "Train" CodeLens. */
import { check, waitFor } from "../harness";
import { waitForStatisticsHover } from "../rl";
import { firstCheckMs, type Scenario } from "../scenario";

export const openExample: Scenario = {
  id: 1,
  title: "open cartpole.rl.ts: clean, hover statistics, Train CodeLens",
  async run({ workbench, workspace, steps }) {
    const file = "cartpole.rl.ts";
    await steps.step("open cartpole.rl.ts", () => workbench.openFile(file));

    const stepMethod = workspace.locate(file, "step(action", { offset: 1 });
    await steps.step("hover on step() shows the statistics", async () => {
      const text = await waitForStatisticsHover(workbench, stepMethod.line, stepMethod.column, firstCheckMs);
      console.log(`      hover: ${text.replace(/\s+/g, " ").slice(0, 200)}`);
      // Leave the hover up for the screenshot.
      await workbench.hoverText(stepMethod.line, stepMethod.column);
    });
    await workbench.dismiss();

    await steps.step("no error or warning in the editor and the Problems panel", async () => {
      const errors = await workbench.squiggleLines("error");
      const warnings = await workbench.squiggleLines("warning");
      const rows = (await workbench.problems()).filter((r) => r.file === file && r.severity !== "info");
      check(
        errors.length === 0 && warnings.length === 0 && rows.length === 0,
        `${file} is not clean: error squiggles on visible lines [${errors.join(", ")}], warning squiggles on [${warnings.join(", ")}]; ` +
          `Problems: ${rows.map((r) => `${r.severity} ${r.text}`).join(" | ") || "-"}`,
      );
    });

    await steps.step('CodeLens "Train" above the environment class', async () => {
      await workbench.focusEditor();
      await waitFor(
        "a Train CodeLens",
        () => workbench.codeLensTexts(),
        (lenses) => lenses.some((l) => /\bTrain\b/.test(l)),
        { timeoutMs: 10_000 },
      );
    });
  },
};
