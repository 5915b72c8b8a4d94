/** Scenario 3: a `throw` introduced in step(): the user-code-threw error sits on that line. */
import { check, waitFor } from "../harness";
import { rowsWithCode } from "../rl";
import { firstCheckMs, type Scenario } from "../scenario";

export const throwInStep: Scenario = {
  id: 3,
  title: "throw in step(): user-code-threw on the throwing line",
  async run({ workbench, workspace, steps }) {
    const file = "cartpole.rl.ts";
    const stepHeader = workspace.locate(file, "step(action");
    const throwLine = stepHeader.line + 1;

    await steps.step("insert a throw as the first statement of step()", async () => {
      await workbench.closeAllEditors();
      await workbench.openFile(file);
      await workbench.goTo(stepHeader.line, stepHeader.column);
      await workbench.page.keyboard.press("End");
      await workbench.page.keyboard.press("Enter");
      await workbench.insertText('if (this.state.length === 4) throw new Error("thrown by the e2e test");');
      await waitFor(
        "the throw typed into the editor",
        () => workbench.visibleText(),
        (text) => text.includes("thrown by the e2e test"),
        { timeoutMs: 5_000 },
      );
    });

    await steps.step(`user-code-threw error on line ${throwLine}`, async () => {
      await waitFor(
        `an error squiggle on line ${throwLine}`,
        () => workbench.squiggleLines("error"),
        (lines) => lines.includes(throwLine),
        {
          timeoutMs: firstCheckMs,
        },
      );
      const { value } = await waitFor(
        "user-code-threw in Problems",
        () => workbench.problems(),
        (rows) => rowsWithCode(rows, "user-code-threw").length > 0,
        { timeoutMs: 10_000 },
      );
      const row = rowsWithCode(value, "user-code-threw")[0]!;
      console.log(`      ${row.text.slice(0, 200)}`);
      check(row.severity === "error", `user-code-threw has severity ${row.severity}`);
      check(row.line === throwLine, `user-code-threw is on line ${row.line}, the throw on line ${throwLine}`);
      check(/thrown by the e2e test/.test(row.text), "the message does not quote the thrown error");
    });

    await steps.step("revert the file", async () => {
      await workbench.focusEditor();
      await workbench.revertActiveFile();
      await waitFor(
        "the throw gone",
        () => workbench.visibleText(),
        (text) => !text.includes("thrown by the e2e test"),
        { timeoutMs: 5_000 },
      );
    });
  },
};
