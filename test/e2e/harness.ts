/**
 * What a scenario is and what it gets: a named list of steps, each timed and followed by a
 * screenshot, and `waitFor` to poll the workbench until a condition holds (never a bare sleep
 * standing in for a condition).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { Page } from "playwright-core";

export class ScenarioFailure extends Error {}

export interface StepRecord {
  name: string;
  ms: number;
  screenshot: string;
  error?: string;
}

/** Screenshots and step timings of one scenario. */
export class StepRecorder {
  readonly steps: StepRecord[] = [];
  private count = 0;

  constructor(
    private readonly shotsDir: string,
    private readonly prefix: string,
    private page: () => Page,
  ) {}

  /** Screenshot another page from now on (a second code-server window). */
  usePage(page: Page): void {
    this.page = () => page;
  }

  async screenshot(name: string): Promise<string> {
    this.count++;
    const file = path.join(this.shotsDir, `${this.prefix}-${String(this.count).padStart(2, "0")}-${slug(name)}.png`);
    try {
      await settled(this.page());
      await this.page().screenshot({ path: file, timeout: 15_000 });
    } catch (error) {
      return `(no screenshot: ${(error as Error).message.split("\n")[0]})`;
    }
    return file;
  }

  /** Whether any step failed (a step run with `continueOnFailure` records its failure and lets the scenario go on). */
  get failed(): boolean {
    return this.steps.some((s) => s.error !== undefined);
  }

  /**
   * Runs one step, then screenshots the result (also when it failed, so the failure can be seen).
   * A failure ends the scenario, unless `continueOnFailure` (for a step later steps do not need):
   * then the scenario goes on and still fails at its end.
   */
  async step<T>(name: string, body: () => Promise<T>): Promise<T>;
  async step<T>(name: string, body: () => Promise<T>, options: { continueOnFailure: true }): Promise<T | undefined>;
  async step<T>(name: string, body: () => Promise<T>, options?: { continueOnFailure: true }): Promise<T | undefined> {
    const started = Date.now();
    process.stdout.write(`    · ${name}`);
    try {
      const result = await body();
      const screenshot = await this.screenshot(name);
      this.steps.push({ name, ms: Date.now() - started, screenshot });
      process.stdout.write(`  (${Date.now() - started} ms)\n`);
      return result;
    } catch (error) {
      const screenshot = await this.screenshot(`${name}-FAILED`);
      const message = error instanceof Error ? error.message : String(error);
      this.steps.push({ name, ms: Date.now() - started, screenshot, error: message });
      process.stdout.write(
        `  FAILED after ${Date.now() - started} ms\n      ${message.split("\n").join("\n      ")}\n      screenshot: ${screenshot}\n`,
      );
      if (options?.continueOnFailure) return undefined;
      throw new ScenarioFailure(`step "${name}": ${message} (screenshot: ${screenshot})`);
    }
  }
}

/**
 * Waits (a few seconds at most) until no finite animation or transition of the workbench is running,
 * so that a screenshot shows where the page ends up, not a theme's colours half-way (the status bar
 * fades its background) or a palette fading out. Endless ones (progress spinners) are not waited for.
 */
async function settled(page: Page): Promise<void> {
  await page
    .waitForFunction(
      () =>
        document
          .getAnimations()
          .every((a) => a.playState !== "running" || (a.effect?.getComputedTiming().endTime ?? Infinity) === Infinity),
      undefined,
      { timeout: 5_000 },
    )
    .catch(() => undefined);
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs?: number;
}

/**
 * Polls `probe` until it returns a value that `accept` takes; returns that value and the time it took.
 * On timeout the error names what was awaited and the last value seen.
 */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T>,
  accept: (value: T) => boolean,
  options: WaitOptions,
): Promise<{ value: T; ms: number }> {
  const started = Date.now();
  let last: T | undefined;
  let lastError: unknown;
  for (;;) {
    try {
      last = await probe();
      lastError = undefined;
      if (accept(last)) return { value: last, ms: Date.now() - started };
    } catch (error) {
      lastError = error;
    }
    if (Date.now() - started > options.timeoutMs) {
      const seen = lastError !== undefined ? `error: ${(lastError as Error).message}` : `last seen: ${JSON.stringify(last)}`;
      throw new ScenarioFailure(`timed out after ${options.timeoutMs} ms waiting for ${what}; ${seen}`);
    }
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 200));
  }
}

export function check(condition: boolean, message: string): asserts condition {
  if (!condition) throw new ScenarioFailure(message);
}

export function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "")
    .slice(0, 60);
}

export function ensureDir(dir: string): string {
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}
