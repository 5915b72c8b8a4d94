/**
 * Scenario 8: in an untrusted workspace no user code runs (the marker-writing file leaves no marker)
 * and the extension says why diagnostics are limited; once trust is granted, diagnostics come.
 */
import { check, waitFor } from "../harness";
import { rowsWithCode, serverSource } from "../rl";
import { firstCheckMs, type Scenario } from "../scenario";
import type { Workbench } from "../workbench";
import { markerFile, markerFixture } from "../workspace";

/** Words that say the limit comes from Workspace Trust. */
const trustPattern = /\b(not trusted|untrusted|trust the (workspace|folder)|Restricted Mode)\b/i;

/** Where the extension may say why diagnostics are limited: its notification, its status item, its diagnostic. */
async function trustExplanation(workbench: Workbench): Promise<string | undefined> {
  const sources = [
    ...(await workbench.notifications()).filter((n) => /RL Playground/i.test(n.source + " " + n.message)).map((n) => n.message),
    // VS Code's own "Restricted Mode" item does not count: the extension must say it.
    ...(await workbench.statusItems()).filter((i) => /\bRL\b|Playground/.test(i.text + " " + i.label)).map((i) => `${i.text} ${i.label}`),
    ...(await workbench.problems()).filter((r) => r.source === serverSource).map((r) => r.text),
  ];
  return sources.find((s) => trustPattern.test(s));
}

export const workspaceTrust: Scenario = {
  id: 8,
  title: "untrusted workspace: no user code runs, says why; trust brings diagnostics",
  async run({ session, untrustedWorkspace, steps }) {
    await steps.step("close the trusted window (one code-server at a time on this machine)", () => session.closeMain());
    const workbench = await steps.step("open the folder in a profile that asks for trust", async () => {
      const opened = await session.openUntrusted();
      steps.usePage(opened.page);
      return opened;
    });

    await steps.step("the folder opens in Restricted Mode (answering a trust prompt, if any, with No)", async () => {
      await workbench.waitLoaded();
      const buttons = await workbench.dialogButtons();
      const no = buttons.find((b) => /^No\b/i.test(b.trim()) || /don't trust/i.test(b));
      if (no) await workbench.clickDialogButton(no);
      await waitFor(
        "Restricted Mode in the status bar",
        () => workbench.statusItems(),
        (items) => items.some((i) => /Restricted Mode/.test(i.text)),
        {
          timeoutMs: 10_000,
        },
      );
    });

    await steps.step("open the marker-writing file: the extension says why diagnostics are limited", async () => {
      await workbench.openFile(markerFixture);
      const { value } = await waitFor(
        "an explanation mentioning workspace trust",
        () => trustExplanation(workbench),
        (s) => s !== undefined,
        {
          timeoutMs: 30_000,
        },
      );
      console.log(`      ${value}`);
    });

    await steps.step("no user code ran: no marker, no probe diagnostics", async () => {
      // Long enough for a check to have run had the gate been open (the trusted run below is timed the same way).
      await workbench.page.waitForTimeout(10_000);
      check(!untrustedWorkspace.exists(markerFile), `${markerFile} was written: user code ran in an untrusted workspace`);
      check(rowsWithCode(await workbench.problems(), "reward-constant").length === 0, "reward-constant reported: the probe ran user code");
    });

    await steps.step("grant trust: diagnostics come", async () => {
      await workbench.runCommand("Workspaces: Manage Workspace Trust");
      await workbench.clickTrustInTrustEditor();
      await workbench.openFile(markerFixture);
      await waitFor(
        "reward-constant in Problems",
        () => workbench.problems(),
        (rows) => rowsWithCode(rows, "reward-constant").length > 0,
        {
          timeoutMs: firstCheckMs,
        },
      );
      check(untrustedWorkspace.exists(markerFile), "diagnostics came but the marker file is missing");
    });
  },
};
