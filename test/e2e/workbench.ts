/**
 * Every selector and keystroke the scenarios use to drive code-server's workbench, in one place:
 * when VS Code changes its DOM, this is the file to fix. Lines and columns are 1-based, as the
 * editor shows them.
 */
import type { FrameLocator, Page } from "playwright-core";
import { waitFor } from "./harness";
import type { Theme } from "./codeServer";

export type Severity = "error" | "warning" | "info";

export interface ProblemRow {
  /** The file the marker belongs to (its name, as the Problems tree shows it). */
  file: string;
  severity: Severity;
  /** Who reported it: "rl-playground" for the language server, "ts" for TypeScript. */
  source: string;
  /** The diagnostic code ("reward-constant", "2307"). */
  code: string;
  /** 1-based line of the marker's start, from "[Ln 12, Col 5]". */
  line: number;
  /** Accessible label: severity, message, place and source as VS Code reads them out. */
  label: string;
  /** Visible text of the row: message, source, code, [Ln, Col]. */
  text: string;
}

export interface StatusItem {
  text: string;
  label: string;
}

const selectors = {
  workbench: ".monaco-workbench",
  quickInput: ".quick-input-widget",
  quickInputBox: ".quick-input-widget .quick-input-box input",
  quickInputRows: ".quick-input-widget .monaco-list-row",
  activeTab: ".tabs-container .tab.active",
  editor: ".editor-group-container.active .monaco-editor",
  squiggle: (severity: Severity) => `.editor-group-container.active .monaco-editor .squiggly-${severity}`,
  lineNumbers: ".editor-group-container.active .monaco-editor .margin-view-overlays .line-numbers",
  viewLines: ".editor-group-container.active .monaco-editor .view-lines",
  hover: ".monaco-hover:not(.hidden) .monaco-hover-content",
  codeLens: ".editor-group-container.active .monaco-editor .codelens-decoration",
  problemsPanel: ".markers-panel",
  problemRows: ".markers-panel .monaco-list-row",
  notifications: ".notifications-toasts .notification-list-item",
  notificationCentreItems: ".notifications-center .notification-list-item",
  statusItems: "#workbench\\.parts\\.statusbar .statusbar-item",
  dialog: ".monaco-dialog-box",
  dialogButton: ".monaco-dialog-box .dialog-buttons .monaco-button",
  lightBulb: ".editor-group-container.active .monaco-editor .lightBulbWidget",
  actionWidgetRows: ".action-widget .monaco-list-row",
  webviewOuter: "iframe.webview",
  webviewInner: "iframe#active-frame",
};

export class Workbench {
  constructor(readonly page: Page) {}

  async waitLoaded(timeoutMs = 60_000): Promise<void> {
    await this.page.locator(selectors.workbench).waitFor({ state: "visible", timeout: timeoutMs });
    // The status bar is among the last parts restored.
    await this.page.locator(selectors.statusItems).first().waitFor({ state: "visible", timeout: timeoutMs });
  }

  /** Opens a workspace file by name through Quick Open and waits for its tab. */
  async openFile(name: string): Promise<void> {
    await this.page.keyboard.press("Control+P");
    await this.page.locator(selectors.quickInputBox).waitFor({ state: "visible" });
    await this.page.keyboard.type(name);
    await waitFor(
      `"${name}" in Quick Open`,
      () => this.page.locator(selectors.quickInputRows).first().innerText(),
      (text) => text.includes(name),
      { timeoutMs: 10_000 },
    );
    await this.page.keyboard.press("Enter");
    await waitFor(
      `the tab of ${name}`,
      () => this.activeTabName(),
      (tab) => tab.startsWith(name),
      { timeoutMs: 10_000 },
    );
    await this.page.locator(selectors.viewLines).waitFor({ state: "visible" });
  }

  async activeTabName(): Promise<string> {
    const tab = this.page.locator(selectors.activeTab);
    return (await tab.count()) ? ((await tab.first().getAttribute("aria-label")) ?? "") : "";
  }

  /**
   * Runs a palette command by its title as the palette shows it ("RL: Train Policy") and waits for
   * the palette to close. Fails when no entry of that exact title is offered.
   */
  async runCommand(title: string): Promise<void> {
    // The palette lists the commands known when it opens; right after start the extension's
    // contributions may not be in yet, so a palette that does not offer the command is reopened.
    const deadline = Date.now() + 20_000;
    for (let attempt = 1; ; attempt++) {
      await this.page.keyboard.press("F1");
      const box = this.page.locator(selectors.quickInputBox);
      await box.waitFor({ state: "visible" });
      await box.fill(`>${title}`);
      try {
        await waitFor(
          `the command "${title}" in the palette`,
          () => this.page.locator(selectors.quickInputRows).first().getAttribute("aria-label"),
          (label) => label !== null && (label === title || label.startsWith(`${title},`)),
          { timeoutMs: Math.min(5_000, Math.max(0, deadline - Date.now())) },
        );
      } catch (error) {
        await this.page.keyboard.press("Escape");
        if (Date.now() >= deadline) throw error;
        continue;
      }
      await this.page.keyboard.press("Enter");
      return;
    }
  }

  /** The palette's entries for `query` (accessible labels: "title, keybinding"), for checking a command is (not) there. */
  async paletteEntries(query: string): Promise<string[]> {
    await this.page.keyboard.press("F1");
    const box = this.page.locator(selectors.quickInputBox);
    await box.waitFor({ state: "visible" });
    await box.fill(`>${query}`);
    await this.page.waitForTimeout(500);
    const labels = await this.page
      .locator(selectors.quickInputRows)
      .evaluateAll((rows) => rows.map((r) => r.getAttribute("aria-label") ?? ""));
    await this.page.keyboard.press("Escape");
    return labels;
  }

  async quickInputVisible(): Promise<boolean> {
    return this.page.locator(selectors.quickInputBox).isVisible();
  }

  /** The title of the open input box or pick list ("" when none is open or it has no title). */
  async quickInputTitle(): Promise<string> {
    if (!(await this.quickInputVisible())) return "";
    const title = this.page.locator(`${selectors.quickInput} .quick-input-title`).first();
    return (await title.count()) > 0 ? ((await title.textContent()) ?? "").trim() : "";
  }

  /** Answers an open input box or pick list: types `text` (if any) and presses Enter. */
  async answerQuickInput(text: string): Promise<void> {
    const box = this.page.locator(selectors.quickInputBox);
    await box.waitFor({ state: "visible", timeout: 10_000 });
    if (text) await box.fill(text);
    await this.page.keyboard.press("Enter");
  }

  /** Whether the palette offers exactly this command now (commands can be hidden by a `when` clause). */
  async commandAvailable(title: string): Promise<boolean> {
    const labels = await this.paletteEntries(title);
    return labels.some((label) => label === title || label.startsWith(`${title},`));
  }

  /** Closes every editor, discarding unsaved edits (a scenario never leaves its edits for the next one). */
  async closeAllEditors(): Promise<void> {
    await this.runCommand("View: Close All Editors");
    await waitFor(
      "every editor closed (answering a save prompt with Don't Save)",
      async () => {
        const dontSave = (await this.dialogButtons()).find((b) => /don't save/i.test(b));
        if (dontSave) await this.clickDialogButton(dontSave);
        return this.tabTitles();
      },
      (tabs) => tabs.length === 0,
      { timeoutMs: 10_000 },
    );
  }

  async revertActiveFile(): Promise<void> {
    await this.runCommand("File: Revert File");
  }

  async focusEditor(): Promise<void> {
    await this.runCommand("View: Focus Active Editor Group");
  }

  /** Moves the cursor with Go to Line (`line:column`). */
  async goTo(line: number, column: number): Promise<void> {
    await this.page.keyboard.press("Control+G");
    await this.page.locator(selectors.quickInputBox).waitFor({ state: "visible" });
    await this.page.keyboard.type(`${line}:${column}`);
    await this.page.keyboard.press("Enter");
    await this.page.locator(selectors.quickInputBox).waitFor({ state: "hidden" });
  }

  /** Selects `count` characters to the right of the cursor. */
  async selectRight(count: number): Promise<void> {
    for (let i = 0; i < count; i++) await this.page.keyboard.press("Shift+ArrowRight");
  }

  /** Inserts text at the cursor as one input (no auto-closing brackets or auto-indent). */
  async insertText(text: string): Promise<void> {
    await this.page.keyboard.insertText(text);
  }

  async undo(): Promise<void> {
    await this.page.keyboard.press("Control+Z");
  }

  async save(): Promise<void> {
    await this.page.keyboard.press("Control+S");
  }

  /** The text of the active editor's rendered lines (the visible part of the file). */
  async visibleText(): Promise<string> {
    const text = await this.page.locator(selectors.viewLines).innerText();
    return text.replace(/\u00a0/g, " ");
  }

  async squiggleCount(severity: Severity): Promise<number> {
    return this.page.locator(selectors.squiggle(severity)).count();
  }

  /** 1-based line numbers that carry a squiggle of `severity` (matched by vertical position to the gutter). */
  async squiggleLines(severity: Severity): Promise<number[]> {
    const squiggleTops = await this.page
      .locator(selectors.squiggle(severity))
      .evaluateAll((els) => els.map((e) => e.getBoundingClientRect().top));
    const gutter = await this.page
      .locator(selectors.lineNumbers)
      .evaluateAll((els) =>
        els.map((e) => ({ top: e.getBoundingClientRect().top, bottom: e.getBoundingClientRect().bottom, n: Number(e.textContent) })),
      );
    const lines = squiggleTops.map((top) => gutter.find((g) => top >= g.top - 1 && top < g.bottom)?.n ?? -1);
    return [...new Set(lines)].sort((a, b) => a - b);
  }

  /** Shows the hover at a position through the keyboard (Ctrl+K Ctrl+I) and returns its text ("" when none). */
  async hoverText(line: number, column: number): Promise<string> {
    await this.goTo(line, column);
    await this.page.keyboard.press("Control+K");
    await this.page.keyboard.press("Control+I");
    const hover = this.page.locator(selectors.hover);
    try {
      await hover.first().waitFor({ state: "visible", timeout: 3_000 });
    } catch {
      return "";
    }
    // The hover fades in; let it finish so that a screenshot shows it as the user reads it.
    await this.page.waitForTimeout(300);
    return (await hover.allInnerTexts()).join("\n");
  }

  async dismiss(): Promise<void> {
    await this.page.keyboard.press("Escape");
  }

  async codeLensTexts(): Promise<string[]> {
    return this.page.locator(selectors.codeLens).allInnerTexts();
  }

  /** Opens the Problems panel (if closed) and reads its marker rows. Leaves the panel open. */
  async problems(): Promise<ProblemRow[]> {
    if (!(await this.page.locator(selectors.problemsPanel).isVisible())) {
      await this.runCommand("View: Focus Problems (Errors, Warnings, Infos)");
      await this.page.locator(selectors.problemsPanel).waitFor({ state: "visible", timeout: 10_000 });
    }
    // Rows are virtualised and absolutely placed: read them in screen order; a resource row names
    // the file of the marker rows under it.
    return this.page.locator(selectors.problemRows).evaluateAll((rows) => {
      const ordered = [...rows].sort((a, b) => a.getBoundingClientRect().top - b.getBoundingClientRect().top);
      const out: {
        file: string;
        severity: "error" | "warning" | "info";
        source: string;
        code: string;
        line: number;
        label: string;
        text: string;
      }[] = [];
      let file = "";
      for (const row of ordered) {
        const text = (row as HTMLElement).innerText.replace(/\s+/g, " ").trim();
        const icon = row.querySelector(".marker-icon");
        if (!icon) {
          file = row.querySelector(".label-name")?.textContent?.trim() ?? text.split(" ")[0] ?? "";
          continue;
        }
        const iconClass = icon.className + " " + (icon.querySelector(".codicon")?.className ?? "");
        const severity = /error/.test(iconClass) ? "error" : /warning/.test(iconClass) ? "warning" : "info";
        const line = Number(/Ln (\d+)/.exec(text)?.[1] ?? -1);
        const source = row.querySelector(".marker-source")?.textContent?.trim() ?? "";
        const code = row.querySelector(".marker-code")?.textContent?.trim() ?? "";
        out.push({ file, severity, source, code, line, label: row.getAttribute("aria-label") ?? "", text });
      }
      return out;
    });
  }

  /** Visible notification toasts: message and source ("Source: RL Playground"). */
  async notifications(): Promise<{ message: string; source: string }[]> {
    return this.page.locator(selectors.notifications).evaluateAll((items) =>
      items.map((i) => ({
        message: (i.querySelector(".notification-list-item-message") as HTMLElement | null)?.innerText ?? "",
        source: (i.querySelector(".notification-list-item-source") as HTMLElement | null)?.innerText ?? "",
      })),
    );
  }

  async statusItems(): Promise<StatusItem[]> {
    return this.page.locator(selectors.statusItems).evaluateAll((items) =>
      items.map((i) => ({
        text: (i as HTMLElement).innerText.trim(),
        label: i.querySelector("a")?.getAttribute("aria-label") ?? i.getAttribute("aria-label") ?? "",
      })),
    );
  }

  /** The buttons of an open modal dialog, or [] when none is open. */
  async dialogButtons(): Promise<string[]> {
    if (!(await this.page.locator(selectors.dialog).isVisible())) return [];
    return this.page.locator(selectors.dialogButton).allInnerTexts();
  }

  async clickDialogButton(text: string): Promise<void> {
    await this.page.locator(selectors.dialogButton, { hasText: text }).first().click();
    await this.page.locator(selectors.dialog).waitFor({ state: "hidden", timeout: 10_000 });
  }

  /** In the Workspace Trust editor ("Workspaces: Manage Workspace Trust"): press Trust, wait for Restricted Mode to end. */
  async clickTrustInTrustEditor(): Promise<void> {
    const trust = this.page.locator(".workspace-trust-editor .monaco-button", { hasText: /^Trust$/ }).first();
    await trust.waitFor({ state: "visible", timeout: 10_000 });
    await trust.click();
    await waitFor(
      "Restricted Mode to end",
      () => this.statusItems(),
      (items) => !items.some((i) => /Restricted Mode/.test(i.text)),
      { timeoutMs: 10_000 },
    );
    // The trust editor may open as a modal over the workbench, which then takes no Quick Open: closed, as a user would.
    const editor = this.page.locator(".workspace-trust-editor");
    if (await editor.isVisible()) {
      await this.page.keyboard.press("Escape");
      await editor.waitFor({ state: "hidden", timeout: 5_000 }).catch(() => undefined);
    }
  }

  /** Opens the Quick Fix menu at the cursor (Ctrl+.) and returns its entries. */
  async quickFixEntries(): Promise<string[]> {
    await this.page.keyboard.press("Control+.");
    const rows = this.page.locator(selectors.actionWidgetRows);
    await rows.first().waitFor({ state: "visible", timeout: 5_000 });
    return rows.evaluateAll((els) => els.map((e) => (e as HTMLElement).innerText.trim()));
  }

  /** Picks an entry of the open Quick Fix menu (opening it at the cursor if it is closed). */
  async chooseQuickFix(text: string): Promise<void> {
    const row = this.page.locator(selectors.actionWidgetRows, { hasText: text }).first();
    if (!(await row.isVisible())) await this.quickFixEntries();
    await row.click();
  }

  /**
   * Opens the Run and Debug view and waits until the call stack shows a paused frame (a row
   * ending in line:column); returns the call stack's rows, the session's first.
   */
  async pausedCallStack(timeoutMs = 60_000): Promise<string[]> {
    await this.page.keyboard.press("Control+Shift+D");
    const { value } = await waitFor(
      "a paused frame in the call stack",
      () => this.rowTexts(".debug-call-stack .monaco-list-row"),
      (rows) => rows.some((r) => / \d+:\d+$/.test(r)),
      { timeoutMs },
    );
    return value;
  }

  /** Why the debug session is paused, as the call stack says it ("Paused On Breakpoint", …). */
  async debugPauseText(): Promise<string> {
    return this.page.locator(".debug-call-stack").innerText();
  }

  /** The Variables view's rows ("name = value", scope names), once `ready` holds for them. */
  async debugVariables(what: string, ready: (rows: string[]) => boolean, timeoutMs = 20_000): Promise<string[]> {
    const { value } = await waitFor(what, () => this.rowTexts(".debug-variables .monaco-list-row"), ready, { timeoutMs });
    return value;
  }

  /** Stops the debug session (Shift+F5) and waits for its toolbar to go. */
  async stopDebugSession(): Promise<void> {
    await this.page.keyboard.press("Shift+F5");
    await waitFor(
      "the debug toolbar gone",
      () => this.page.locator(".debug-toolbar").isVisible(),
      (visible) => !visible,
      {
        timeoutMs: 15_000,
      },
    );
  }

  private rowTexts(selector: string): Promise<string[]> {
    return this.page.locator(selector).evaluateAll((els) => els.map((e) => (e as HTMLElement).innerText.replace(/\s+/g, " ").trim()));
  }

  async lightBulbVisible(): Promise<boolean> {
    return this.page.locator(selectors.lightBulb).isVisible();
  }

  /** The buttons of the visible notification whose message matches `message` ([] when none shows). */
  async notificationButtons(message: RegExp): Promise<string[]> {
    const item = this.page.locator(selectors.notifications).filter({ hasText: message }).first();
    if (!(await item.count())) return [];
    return item.locator(".monaco-button").allInnerTexts();
  }

  /**
   * Presses a button of the notification whose message matches `message`: on its toast, or, when
   * the toast has hidden itself (an information toast does after a while), in the notification
   * centre, opened as a user would from the bell.
   */
  async clickNotificationButton(message: RegExp, text: string): Promise<void> {
    const toast = this.page.locator(selectors.notifications).filter({ hasText: message }).first();
    if (!(await toast.isVisible())) {
      await this.runCommand("Notifications: Show Notifications");
      const row = this.page.locator(selectors.notificationCentreItems).filter({ hasText: message }).first();
      await row.waitFor({ state: "visible", timeout: 10_000 });
      const button = row.locator(".monaco-button", { hasText: text }).first();
      // The centre shows a row's buttons when the row is expanded (the newest is).
      if (!(await button.isVisible())) await row.click();
      await button.click({ timeout: 10_000 });
      return;
    }
    await toast.locator(".monaco-button", { hasText: text }).first().click({ timeout: 10_000 });
  }

  /**
   * Switches between the preferred dark and light themes (Default Dark Modern and Default Light
   * Modern) with the palette's toggle, and waits for the workbench to take it. (The theme picker's
   * filter text raced its opening, and the workbench does not reread a settings.json changed on disk.)
   */
  async setColorTheme(theme: Theme): Promise<void> {
    const shows = async (): Promise<boolean> => {
      const cls = (await this.page.locator(selectors.workbench).first().getAttribute("class")) ?? "";
      return theme === "dark" ? /\bvs-dark\b/.test(cls) : /\bvs\b/.test(cls) && !/\bvs-dark\b/.test(cls);
    };
    if (await shows()) return;
    await this.runCommand("Preferences: Toggle between Light/Dark Themes");
    await waitFor(`the ${theme} theme`, shows, (yes) => yes, { timeoutMs: 15_000 });
  }

  /** The dashboard's page: the innermost frame of the last webview. */
  webview(): FrameLocator {
    return this.page.frameLocator(selectors.webviewOuter).last().frameLocator(selectors.webviewInner);
  }

  async webviewCount(): Promise<number> {
    return this.page.locator(selectors.webviewOuter).count();
  }

  /** A webview editor tab's title, when one is open. */
  async tabTitles(): Promise<string[]> {
    return this.page.locator(".tabs-container .tab").evaluateAll((tabs) => tabs.map((t) => t.getAttribute("aria-label") ?? ""));
  }
}
