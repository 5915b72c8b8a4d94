/**
 * Scenario 11: "RL: Fuzz Environment" finds what the check's episodes do not reach, and "Debug
 * failing episode" on a failure that is no throw. The fixture's rooms lose their width from seed
 * 2000 on (the reward then divides by zero); the check starts its episodes from the first seeds
 * and finds nothing, fuzzing 2500 episodes (seeds 0 to 2499) finds a non-finite reward. Debugging
 * it replays the episode and, the step having returned, stops in the replay program with the
 * failure, what the step returned and the environment after it as the frame's locals.
 */
import { check, waitFor } from "../harness";
import { rowPlace, rowsWithCode, serverSource } from "../rl";
import { firstCheckMs, type Scenario } from "../scenario";

const file = "seeded-rooms.rl.ts";
const budget = 2500;
const summary = new RegExp(`${file.replace(/\./g, "\\.")}: ${budget} episodes of random actions found`);

export const fuzzAndDebugNonFinite: Scenario = {
  id: 11,
  title: "Fuzz Environment finds a non-finite reward the check missed; debugging it stops after the step",
  async run({ workbench, workspace, steps }) {
    const stepLine = workspace.locate(file, "step(action: number)").line;
    const page = workbench.page;
    let place = { line: stepLine, column: 1 };

    await steps.step("open the file: the check finds no problem", async () => {
      await workbench.closeAllEditors();
      await workbench.runCommand("Notifications: Clear All Notifications");
      await workbench.openFile(file);
      await workbench.runCommand("RL: Check Environment");
      const { value } = await waitFor(
        "the check's answer",
        () => workbench.notifications(),
        (items) => items.some((n) => n.message.startsWith(file)),
        { timeoutMs: firstCheckMs },
      );
      const answer = value.find((n) => n.message.startsWith(file))!.message;
      console.log(`      "${answer}"`);
      check(/no problems/.test(answer), `the check found something: ${answer}`);
      const rows = (await workbench.problems()).filter((r) => r.file === file && r.source === serverSource);
      check(rows.length === 0, `the check put problems on ${file}: ${rows.map((r) => r.text).join(" | ")}`);
    });

    await steps.step(`RL: Fuzz Environment asks for a budget; ${budget} episodes`, async () => {
      await workbench.runCommand("Notifications: Clear All Notifications");
      await workbench.focusEditor();
      await workbench.runCommand("RL: Fuzz Environment");
      const { value: title } = await waitFor(
        "the budget's input box",
        () => workbench.quickInputTitle(),
        (t) => t !== "",
        {
          timeoutMs: 10_000,
        },
      );
      check(title === "RL: Fuzz Environment", `the input box is titled "${title}"`);
      await page.locator(".quick-input-widget .quick-input-box input").fill(String(budget));
      await steps.screenshot("budget typed");
      await page.keyboard.press("Enter");
      const { value } = await waitFor(
        "the fuzzing summary",
        () => workbench.notifications(),
        (items) => items.some((n) => summary.test(n.message)),
        { timeoutMs: firstCheckMs },
      );
      const message = value.find((n) => summary.test(n.message))!.message;
      console.log(`      "${message}"`);
      check(
        /found 1 kind of failure: not-finite at line \d+ \(\d+ episodes\)/.test(message),
        `the summary does not name the failure: ${message}`,
      );
      check(message.includes(`line ${stepLine} `), `the summary does not place the failure on step() (line ${stepLine}): ${message}`);
      const buttons = await workbench.notificationButtons(summary);
      console.log(`      buttons: ${buttons.join(" | ")}`);
      check(buttons.includes("Show Problems") && buttons.includes("Show Output"), `the summary's buttons: ${buttons.join(", ")}`);
    });

    await steps.step("Show Problems lists the non-finite reward on step()", async () => {
      await workbench.clickNotificationButton(summary, "Show Problems");
      const { value } = await waitFor(
        "not-finite in Problems",
        () => workbench.problems(),
        (rows) => rowsWithCode(rows, "not-finite").some((r) => r.file === file),
        { timeoutMs: 10_000 },
      );
      const row = rowsWithCode(value, "not-finite").find((r) => r.file === file)!;
      console.log(`      ${row.text.slice(0, 240)}`);
      check(row.severity === "error", `not-finite is a ${row.severity}`);
      check(row.line === stepLine, `not-finite is on line ${row.line}, step() on line ${stepLine}`);
      check(/reset\(seed=2\d\d\d\)/.test(row.text), `the episode does not start from a seed of 2000 or more: ${row.text}`);
      place = rowPlace(row) ?? place;
    });

    let entry = "";
    await steps.step("Ctrl+. on it offers Debug failing episode", async () => {
      await workbench.focusEditor();
      await workbench.goTo(place.line, place.column);
      const entries = await workbench.quickFixEntries();
      console.log(`      quick fixes: ${entries.join(" | ")}`);
      entry = entries.find((e) => e.startsWith("Debug failing episode")) ?? "";
      check(entry !== "", `no Debug failing episode among: ${entries.join(" | ")}`);
    });

    await steps.step("the debugger stops once the step has returned, with the failure in scope", async () => {
      await workbench.chooseQuickFix(entry);
      const value = await workbench.pausedCallStack();
      console.log(`      call stack: ${value.slice(0, 5).join(" | ")}`);
      // The top frame is the replay program's stop after the failing step (the step itself has returned).
      const top = value.find((r) => / \d+:\d+$/.test(r)) ?? "";
      check(/^failingStepReturned /.test(top), `the top frame is not failingStepReturned: ${top}`);
      const paused = await workbench.debugPauseText();
      check(/paused on debugger statement/i.test(paused), `not paused on the debugger statement: ${paused.slice(0, 200)}`);
      const variables = await workbench.debugVariables("failure, returned and environment in the Variables view", (rows) =>
        ["failure", "returned", "environment"].every((name) => rows.some((r) => r.startsWith(`${name} = `))),
      );
      console.log(`      variables: ${variables.join(" | ").slice(0, 600)}`);
      const failure = variables.find((r) => /^failure = /.test(r))!;
      check(/not-finite/.test(failure), `failure is not the non-finite reward: ${failure}`);
      const returned = variables.find((r) => /^returned = /.test(r))!;
      check(/NaN/.test(returned), `returned does not show the NaN reward: ${returned}`);
      const environment = variables.find((r) => /^environment = /.test(r))!;
      check(/Rooms/.test(environment), `environment is not the fixture's Rooms: ${environment}`);
    });

    await steps.step("stop the debug session", async () => {
      await workbench.stopDebugSession();
    });
  },
};
