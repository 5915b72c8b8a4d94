/**
 * Scenario 9: what the user tripped over, answered. On a fresh copy of the New Environment
 * template (it checks clean and is solved in seconds): "Check" on a clean file says what it
 * checked; a solved training is notified with "Open Dashboard", which opens it; playback shows
 * every step of the episode and how it ended; the dashboard's "Train again" form refuses 0.05
 * episodes per update beside the field and writes nothing into the file. Each step is also
 * screenshot in the other colour theme.
 */
import { pressDashboardButton, readDashboard, statusShown } from "../dashboard";
import { check, waitFor } from "../harness";
import { firstCheckMs, type Scenario, type ScenarioContext } from "../scenario";
import { quickFile } from "../workspace";

const file = quickFile;
const solvedMessage = /Quick is solved/;

/** The step's state in the other theme too (the step's own screenshot is in the run's theme). */
async function inOtherTheme({ session, workbench, steps }: ScenarioContext, name: string): Promise<void> {
  const own = session.options.theme;
  const other = own === "dark" ? "light" : "dark";
  await workbench.setColorTheme(other);
  try {
    if ((await workbench.webviewCount()) > 0)
      await waitFor(
        "the dashboard in the other theme",
        async () => (await workbench.webview().locator("body").getAttribute("class")) ?? "",
        (cls) => cls.includes(`vscode-${other}`),
        { timeoutMs: 10_000 },
      );
    console.log(`      ${other} theme: ${await steps.screenshot(`${name} (${other} theme)`)}`);
  } finally {
    await workbench.setColorTheme(own);
  }
}

export const outcomes: Scenario = {
  id: 9,
  title: "Check says what it checked, solved is notified, playback ends, Train again refuses 0.05",
  async run(context) {
    const { workbench, workspace, steps } = context;
    const dashboard = () => readDashboard(workbench.webview());
    const written = workspace.read(file);

    await steps.step("RL: Check Environment on a clean file says what it checked", async () => {
      await workbench.closeAllEditors();
      await workbench.openFile(file);
      await waitFor(
        "a Train CodeLens",
        () => workbench.codeLensTexts(),
        (lenses) => lenses.some((l) => /\bTrain\b/.test(l)),
        { timeoutMs: firstCheckMs },
      );
      await workbench.runCommand("RL: Check Environment");
      const { value } = await waitFor(
        "the check's answer",
        () => workbench.notifications(),
        (items) => items.some((n) => n.message.startsWith(file)),
        { timeoutMs: firstCheckMs },
      );
      const answer = value.find((n) => n.message.startsWith(file))!.message;
      console.log(`      "${answer}"`);
      check(/no problems/.test(answer), `the answer does not say "no problems": ${answer}`);
      check(/\d+ episodes/.test(answer), `the answer does not say how many episodes were checked: ${answer}`);
      await inOtherTheme(context, "check answer");
    });

    await steps.step("a solved training is notified with Open Dashboard, which opens the dashboard", async () => {
      // Read, the check's answer is closed (it would cover the dashboard's corner in later screenshots).
      await workbench.runCommand("Notifications: Clear All Notifications");
      await workbench.focusEditor();
      await workbench.runCommand("RL: Train Policy");
      await waitFor(
        "the solved notification with its buttons",
        () => workbench.notificationButtons(solvedMessage),
        (buttons) => buttons.length > 0,
        { timeoutMs: firstCheckMs },
      );
      const buttons = await workbench.notificationButtons(solvedMessage);
      console.log(`      buttons: ${buttons.join(" | ")}`);
      check(buttons.includes("Open Dashboard"), `no "Open Dashboard" on the solved notification: ${buttons.join(", ")}`);
      await inOtherTheme(context, "solved notification");
      // Closed, the dashboard comes back from the notification's button.
      await workbench.closeAllEditors();
      await waitFor(
        "no webview",
        () => workbench.webviewCount(),
        (n) => n === 0,
        { timeoutMs: 10_000 },
      );
      await workbench.clickNotificationButton(solvedMessage, "Open Dashboard");
      const shown = async () => ({
        status: statusShown((await dashboard()).text),
        run: (await workbench.webview().locator('[data-control="run"] option:checked').textContent()) ?? "",
      });
      // Reopened, the dashboard shows the newest run (Quick's), not the oldest it remembers.
      const { value } = await waitFor("the dashboard with Quick's solved run", shown, (v) => v.status === "solved" && /Quick/.test(v.run), {
        timeoutMs: 20_000,
      }).catch(async (error: unknown) => {
        throw new Error(`${String(error)}; shows ${JSON.stringify(await shown())}`);
      });
      console.log(`      reopened on ${value.run}: ${value.status}`);
    });

    await steps.step("playback shows every step of the episode and how it ended", async () => {
      await pressDashboardButton(workbench.webview(), "New episode");
      const info = workbench.webview().locator("[data-playback-info]");
      const { value } = await waitFor(
        "the last step and the ending",
        async () => (await info.textContent()) ?? "",
        (text) => /step (\d+) \/ \1\b/.test(text) && /terminated|truncated/.test(text),
        { timeoutMs: 20_000 },
      );
      // The picture and its caption on screen for the screenshots (the dashboard opens on its charts).
      await info.scrollIntoViewIfNeeded();
      console.log(`      "${value}"`);
      const [, steps_] = /step (\d+) \//.exec(value)!;
      check(Number(steps_) >= 3, `the corridor needs at least 3 steps to its goal; playback shows ${steps_}`);
      check(/terminated/.test(value), `a solved corridor episode ends at the goal (terminated): ${value}`);
      await inOtherTheme(context, "playback end");
    });

    // The runs listed before the refused press: the valid press after it must add exactly one.
    let runsBefore = 0;
    await steps.step("Train again refuses 0.05 episodes per update beside the field and writes nothing", async () => {
      const frame = workbench.webview();
      runsBefore = await frame.locator('[data-control="run"] option').count();
      await frame.locator('[data-section="settings"]').evaluate((details) => {
        // Opened and on screen from its heading (playback left the page scrolled to its end).
        (details as HTMLDetailsElement).open = true;
        details.scrollIntoView({ block: "start" });
      });
      await frame.locator('input[name="episodesPerUpdate"]').fill("0.05");
      await frame.locator('input[name="writeBack"]').check();
      await pressDashboardButton(frame, "Train again");
      const error = frame.locator('[data-error="episodesPerUpdate"]');
      const { value: shown } = await waitFor(
        "the error beside the field",
        async () => ((await error.isVisible()) ? ((await error.textContent()) ?? "") : ""),
        (text) => text.length > 0,
        { timeoutMs: 10_000 },
      );
      console.log(`      "${shown}"`);
      check(/whole number/.test(shown), `the error does not say what is expected: ${shown}`);
      check(workspace.read(file) === written, "the file changed on disk");
      await inOtherTheme(context, "train again refused");
    });

    await steps.step("a valid value trains once and writes nothing", async () => {
      const frame = workbench.webview();
      // A valid value trains (without writing): one new run, so the refused press started none.
      await frame.locator('input[name="writeBack"]').uncheck();
      await frame.locator('input[name="episodesPerUpdate"]').fill("8");
      await pressDashboardButton(frame, "Train again");
      const { value: runs } = await waitFor(
        "the valid Train again's run",
        () => frame.locator('[data-control="run"] option').count(),
        (n) => n > runsBefore,
        { timeoutMs: 20_000 },
      );
      check(runs === runsBefore + 1, `${runs - runsBefore} runs started; the refused press must start none`);
      check(workspace.read(file) === written, "the file changed on disk");
      // Quick solves within seconds: wait for that run to end (a stop pressed now would race its end).
      await waitFor(
        "the valid Train again's run to end",
        () => workbench.commandAvailable("RL: Stop Training"),
        (training) => !training,
        { timeoutMs: 60_000 },
      );
    });
  },
};
