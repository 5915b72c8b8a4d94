/**
 * What the scenarios read from the training dashboard (a webview: two nested iframes). Read by what
 * a user sees (text, drawn charts, the playback picture) so that the checks survive restyling.
 */
import type { FrameLocator } from "playwright-core";

export interface DashboardView {
  /** The page's visible text. */
  text: string;
  /** One fingerprint per chart canvas: changes when what is drawn changes. */
  canvases: string[];
  /** How many canvas pixels are not background, per canvas (0: nothing drawn). */
  inkedPixels: number[];
  /** The playback picture's markup (the SVG of design §2's `render()` scene), "" when none. */
  playbackSvg: string;
}

export async function readDashboard(frame: FrameLocator): Promise<DashboardView> {
  return frame.locator("body").evaluate((body) => {
    const canvases = [...body.querySelectorAll("canvas")].filter((c) => c.width > 0 && c.height > 0);
    const fingerprints: string[] = [];
    const inked: number[] = [];
    for (const canvas of canvases) {
      const context = canvas.getContext("2d");
      if (!context) continue;
      const { data } = context.getImageData(0, 0, canvas.width, canvas.height);
      // Background = the first pixel's colour; a pixel differing from it by more than a little is ink.
      let hash = 0;
      let ink = 0;
      for (let i = 0; i < data.length; i += 4) {
        const d =
          Math.abs(data[i]! - data[0]!) +
          Math.abs(data[i + 1]! - data[1]!) +
          Math.abs(data[i + 2]! - data[2]!) +
          Math.abs(data[i + 3]! - data[3]!);
        if (d > 24) ink++;
        hash = (hash * 31 + data[i]! + 7 * data[i + 1]! + 13 * data[i + 2]! + 17 * data[i + 3]!) | 0;
      }
      fingerprints.push(`${canvas.width}x${canvas.height}:${hash}`);
      inked.push(ink);
    }
    const svgs = [...body.querySelectorAll("svg")].filter((s) => s.querySelectorAll("rect, circle, line, polygon, path").length >= 2);
    return {
      text: (body as HTMLElement).innerText,
      canvases: fingerprints,
      inkedPixels: inked,
      playbackSvg: svgs.map((s) => s.outerHTML).sort((a, b) => b.length - a.length)[0] ?? "",
    };
  });
}

/** The episode count of the run on show, from its "episodes  N / budget" figure, or -1 when none is shown. */
export function episodesShown(text: string): number {
  const m = /episodes\s*([\d,]+)\s*\/\s*[\d,]+/i.exec(text);
  return m ? Number(m[1]!.replace(/,/g, "")) : -1;
}

/** The run's status figure ("status  training | solved | stopped | budget | error"), "" when none is shown. */
export function statusShown(text: string): string {
  return /\bstatus\s*\n\s*([^\n]+)/i.exec(text)?.[1]?.trim() ?? "";
}

/** Presses a button of the dashboard by its visible text. */
export async function pressDashboardButton(frame: FrameLocator, text: string): Promise<void> {
  // A DOM click: Playwright's pointer click into a webview (two nested iframes) can stall while the page
  // redraws its charts many times a second; what is under test is the page's response, not Chromium's hit-testing.
  await frame.locator("button", { hasText: text }).first().dispatchEvent("click", undefined, { timeout: 10_000 });
}
