/**
 * Scenario 10: "Debug failing episode" on a throw found by the probe starts a debug session of
 * Node's debugger (js-debug, built into code-server) that replays the shrunk episode and stops on
 * the throwing line of the user's .rl.ts file (source-mapped), in the failing step.
 */
import { check, waitFor } from "../harness";
import { rowPlace, rowsWithCode } from "../rl";
import { firstCheckMs, type Scenario } from "../scenario";
import { debugFile } from "../workspace";

export const debugFailingEpisode: Scenario = {
  id: 10,
  title: "Debug failing episode stops on the throwing line",
  async run({ workbench, workspace, steps }) {
    const file = debugFile;
    const throwLine = workspace.locate(file, "MARK: throw").line;
    const page = workbench.page;
    let place = { line: 0, column: 0 };

    await steps.step("open the file: user-code-threw on the throwing line, with its episode", async () => {
      await workbench.closeAllEditors();
      await workbench.openFile(file);
      const { value } = await waitFor(
        "user-code-threw in Problems",
        () => workbench.problems(),
        (rows) => rowsWithCode(rows, "user-code-threw").length > 0,
        { timeoutMs: firstCheckMs },
      );
      const row = rowsWithCode(value, "user-code-threw")[0]!;
      console.log(`      ${row.text.slice(0, 240)}`);
      check(row.line === throwLine, `user-code-threw is on line ${row.line}, the throw on line ${throwLine}`);
      place = rowPlace(row) ?? { line: throwLine, column: 1 };
    });

    let entry = "";
    await steps.step("Ctrl+. offers Debug failing episode beside Replay", async () => {
      await workbench.focusEditor();
      await workbench.goTo(place.line, place.column);
      const entries = await workbench.quickFixEntries();
      console.log(`      quick fixes: ${entries.join(" | ")}`);
      entry = entries.find((e) => e.startsWith("Debug failing episode")) ?? "";
      check(entry !== "", `no Debug failing episode among: ${entries.join(" | ")}`);
      check(
        entries.some((e) => e.startsWith("Replay failing episode")),
        "no Replay failing episode",
      );
    });

    await steps.step(`the debugger stops on line ${throwLine} of ${file}`, async () => {
      // A frame row reads "step  throw-after-pattern.rl.ts  19:5"; the session's row names the file too.
      const frameAt = new RegExp(`${file.replace(/\./g, "\\.")}\\s*${throwLine}:\\d+$`);
      await workbench.chooseQuickFix(entry);
      const value = await workbench.pausedCallStack();
      console.log(`      call stack: ${value.slice(0, 4).join(" | ")}`);
      // The top frame is the user's step(), at the throwing line.
      const top = value.find((r) => / \d+:\d+$/.test(r)) ?? "";
      check(frameAt.test(top), `the top frame is not at line ${throwLine} of ${file}: ${top}`);
      const paused = await workbench.debugPauseText();
      check(/paused on breakpoint/i.test(paused), `not paused on the breakpoint: ${paused.slice(0, 200)}`);
      // The editor shows the stop on that line (the top stack frame's decoration).
      await waitFor(
        "the stopped line highlighted in the editor",
        () => page.locator(".monaco-editor .debug-top-stack-frame-line").count(),
        (n) => n > 0,
        { timeoutMs: 10_000 },
      );
      // The state of that step: the Variables view lists step()'s locals (its scope opens by itself).
      const variables = await workbench.debugVariables(
        "step()'s locals in the Variables view",
        (rows) => rows.some((r) => /^action = \d$/.test(r)) && rows.some((r) => /^tail = \(7\) \[/.test(r)),
      );
      console.log(`      variables: ${variables.slice(0, 6).join(" | ")}`);
    });

    await steps.step("stop the debug session", async () => {
      await workbench.stopDebugSession();
    });
  },
};
