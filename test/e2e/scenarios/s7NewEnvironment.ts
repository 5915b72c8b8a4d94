/** Scenario 7: "RL: New Environment" scaffolds a file that opens with no error and trains. */
import { episodesShown, readDashboard } from "../dashboard";
import { check, waitFor } from "../harness";
import { firstCheckMs, type Scenario } from "../scenario";
import type { ProblemRow } from "../workbench";

/**
 * A name nothing declares: a line using it is added and undone to learn when TypeScript has checked
 * the file ("Cannot find name '…'" names it in the Problems row).
 */
const probeName = "rlPlaygroundE2eProbe";
const isProbeError = (row: ProblemRow): boolean => row.source === "ts" && row.severity === "error" && row.text.includes(probeName);

export const newEnvironment: Scenario = {
  id: 7,
  title: "New Environment: scaffolded file is clean and trains",
  async run({ workbench, steps }) {
    let fileName = "";

    await steps.step("RL: New Environment opens a scaffolded .rl.ts file", async () => {
      await workbench.closeAllEditors();
      await workbench.runCommand("RL: New Environment");
      // The command asks for a name once its input box opens, which can take a while on a busy machine:
      // answer each of its prompts until the new file's editor is the active tab.
      let answered = 0;
      const { value } = await waitFor(
        "an .rl.ts editor",
        async () => {
          const tab = await workbench.activeTabName();
          if (/\.rl\.ts/.test(tab)) return tab;
          if (answered < 3 && /New Environment|folder/i.test(await workbench.quickInputTitle())) {
            await workbench.answerQuickInput(answered === 0 ? "e2e-scaffold" : "");
            answered++;
          }
          return tab;
        },
        (tab) => /\.rl\.ts/.test(tab),
        { timeoutMs: 20_000 },
      );
      fileName = value.split(",")[0]!.trim().replace(/^●\s*/, "");
      console.log(`      opened ${value}`);
    });

    await steps.step("no red squiggle and no error diagnostic once checked", async () => {
      // The check is done when a Train CodeLens and some diagnostics round have come; give it the first-check time.
      await waitFor(
        "a Train CodeLens",
        () => workbench.codeLensTexts(),
        (lenses) => lenses.some((l) => /\bTrain\b/.test(l)),
        { timeoutMs: firstCheckMs },
      );
      // The command writes a tsconfig.json: let TypeScript finish loading it, so its verdict on the file is in.
      await waitFor(
        "TypeScript to finish initializing",
        () => workbench.statusItems(),
        (items) => !items.some((i) => /Initializing/.test(i.text)),
        {
          timeoutMs: firstCheckMs,
        },
      );
      // TypeScript's verdict on the whole file is in once it has answered an edit: add a line naming
      // something undeclared, which it must report, then revert the file and wait for that report to
      // go. The diagnostics published after the revert are those of the scaffold as written.
      await workbench.focusEditor();
      await workbench.page.keyboard.press("Control+End");
      // A type alias only: esbuild drops it, so the language server's own check runs the same code as before.
      await workbench.insertText(`type RlPlaygroundE2eProbe = typeof ${probeName};`);
      await waitFor(
        "TypeScript's error on the added line",
        () => workbench.problems(),
        (rows) => rows.some(isProbeError),
        {
          timeoutMs: firstCheckMs,
        },
      );
      // Revert, not undo: the editor's undo stops at word boundaries and would leave part of the line.
      await workbench.revertActiveFile();
      await waitFor(
        "TypeScript's error to go with the reverted line",
        () => workbench.problems(),
        (rows) => !rows.some(isProbeError),
        {
          timeoutMs: firstCheckMs,
        },
      );
      const errors = await workbench.squiggleLines("error");
      check(errors.length === 0, `error squiggles on lines ${errors.join(", ")}`);
      const rows = (await workbench.problems()).filter((r) => r.severity === "error");
      check(rows.length === 0, `errors in Problems: ${rows.map((r) => `${r.file}: ${r.text}`).join(" | ")}`);
    });

    await steps.step("it trains", async () => {
      await workbench.focusEditor();
      await workbench.runCommand("RL: Train Policy");
      await waitFor(
        "a webview",
        () => workbench.webviewCount(),
        (n) => n > 0,
        { timeoutMs: 15_000 },
      );
      const { value: first } = await waitFor(
        "episodes on the dashboard",
        () => readDashboard(workbench.webview()),
        (v) => episodesShown(v.text) > 0,
        {
          timeoutMs: firstCheckMs,
        },
      );
      await waitFor(
        "more episodes",
        () => readDashboard(workbench.webview()),
        (v) => episodesShown(v.text) > episodesShown(first.text) || /solved|budget/i.test(v.text),
        { timeoutMs: 30_000 },
      );
      check(
        !/\berror\b/i.test((await readDashboard(workbench.webview())).text.split("\n").slice(0, 5).join(" ")),
        `the dashboard reports an error for ${fileName}`,
      );
      // A small scaffold may already be solved; stop it only when it still runs.
      if (await workbench.commandAvailable("RL: Stop Training")) await workbench.runCommand("RL: Stop Training");
    });
  },
};
