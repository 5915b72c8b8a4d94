/**
 * Scenario 7: "RL: New Environment" scaffolds one file (no tsconfig.json, no typings: the TypeScript
 * server plugin resolves "rl-playground"), opened as a tab the next Quick Open does not replace, with
 * no diagnostic at all once checked, and it trains.
 */
import * as fs from "node:fs";
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
  async run({ workbench, workspace, steps }) {
    let fileName = "";

    await steps.step("RL: New Environment opens a scaffolded .rl.ts file, and writes nothing else", async () => {
      await workbench.closeAllEditors();
      const before = new Set(fs.readdirSync(workspace.dir));
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
      const added = fs.readdirSync(workspace.dir).filter((name) => !before.has(name));
      check(added.length === 1 && added[0] === fileName, `the command wrote ${added.join(", ")}, not just ${fileName}`);
    });

    await steps.step("the new file's tab stays when Quick Open opens another file (not a preview)", async () => {
      await workbench.openFile("bandit.rl.ts");
      const tabs = await workbench.tabTitles();
      check(
        tabs.some((t) => t.startsWith(fileName)),
        `the tab of ${fileName} was replaced: tabs ${tabs.join(" | ")}`,
      );
      await workbench.openFile(fileName);
    });

    await steps.step("no squiggle and no diagnostic at all (not even information) once checked", async () => {
      // The check is done when a Train CodeLens and some diagnostics round have come; give it the first-check time.
      await waitFor(
        "a Train CodeLens",
        () => workbench.codeLensTexts(),
        (lenses) => lenses.some((l) => /\bTrain\b/.test(l)),
        { timeoutMs: firstCheckMs },
      );
      // Let TypeScript finish loading the project (with the server plugin), so its verdict on the file is in.
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
      for (const severity of ["error", "warning", "info"] as const) {
        const lines = await workbench.squiggleLines(severity);
        check(lines.length === 0, `${severity} squiggles on lines ${lines.join(", ")}`);
      }
      const rows = (await workbench.problems()).filter((r) => r.severity === "error" || r.file === fileName);
      check(rows.length === 0, `in Problems: ${rows.map((r) => `${r.file}: ${r.severity} ${r.text}`).join(" | ")}`);
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
