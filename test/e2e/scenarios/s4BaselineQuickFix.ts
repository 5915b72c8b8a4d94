/**
 * Scenario 4: a baseline:"none" noisy file gets baseline-recommended; its quick fix from the light
 * bulb menu (Ctrl+.) sets baseline:"mean" and the diagnostic goes.
 */
import { check, waitFor } from "../harness";
import { rowPlace, rowsWithCode, serverSource } from "../rl";
import { firstCheckMs, type Scenario } from "../scenario";

export const baselineQuickFix: Scenario = {
  id: 4,
  title: 'baseline-recommended quick fix sets baseline: "mean"',
  async run({ workbench, workspace, steps }) {
    const file = "noisy-arms.rl.ts";
    let place = { line: 0, column: 0 };

    await steps.step("open noisy-arms.rl.ts: baseline-recommended is reported", async () => {
      await workbench.closeAllEditors();
      await workbench.openFile(file);
      const { value } = await waitFor(
        "baseline-recommended in Problems",
        () => workbench.problems(),
        (rows) => rowsWithCode(rows, "baseline-recommended").length > 0,
        { timeoutMs: firstCheckMs },
      );
      const row = rowsWithCode(value, "baseline-recommended")[0]!;
      console.log(`      ${row.text.slice(0, 200)}`);
      const at = rowPlace(row);
      check(at !== undefined, `no [Ln, Col] in the Problems row: ${row.text}`);
      place = at;
    });

    let fix = "";
    await steps.step("Ctrl+. on the diagnostic offers the baseline fix", async () => {
      await workbench.focusEditor();
      await workbench.goTo(place.line, place.column);
      const entries = await workbench.quickFixEntries();
      console.log(`      quick fixes: ${entries.join(" | ")}`);
      fix = entries.find((e) => /baseline/i.test(e)) ?? "";
      check(fix !== "", `no baseline fix among: ${entries.join(" | ")}`);
    });

    await steps.step('apply it: the file sets baseline: "mean"', async () => {
      // The menu is still open from the previous step (its screenshot shows it): pick the fix in it.
      await workbench.chooseQuickFix(fix);
      await waitFor(
        'baseline: "mean" in the editor',
        () => workbench.visibleText(),
        (text) => /baseline:\s*"mean"/.test(text),
        { timeoutMs: 5_000 },
      );
      const text = await workbench.visibleText();
      check(!/baseline:\s*"none"/.test(text), 'baseline: "none" is still in the file');
    });

    await steps.step("the diagnostic goes and the file still compiles", async () => {
      await waitFor(
        "baseline-recommended gone from Problems",
        () => workbench.problems(),
        (rows) => rowsWithCode(rows, "baseline-recommended").length === 0,
        { timeoutMs: firstCheckMs },
      );
      // "Keeps the file compiling": no error of ours, and no error at all on the lines the fix wrote.
      const trainingLine = workspace.locate(file, "export const training").line;
      const errors = (await workbench.problems()).filter((r) => r.file === file && r.severity === "error");
      const broken = errors.filter((r) => r.source === serverSource || r.line >= trainingLine);
      check(broken.length === 0, `errors after the fix: ${broken.map((r) => r.text).join(" | ")}`);
    });

    await workbench.focusEditor();
    await workbench.revertActiveFile();
  },
};
