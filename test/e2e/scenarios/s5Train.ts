/**
 * Scenario 5: "RL: Train Policy" on cartpole.rl.ts opens the dashboard; the reward curve grows; the
 * status bar shows progress; the playback shows the cart moving; "RL: Stop Training" stops it within
 * a second and the dashboard says so.
 */
import { episodesShown, readDashboard, saysStopped, type DashboardView } from "../dashboard";
import { check, waitFor } from "../harness";
import { firstCheckMs, type Scenario } from "../scenario";
import type { StatusItem } from "../workbench";

/** Design §6: "a stop takes effect within a second". */
const stopWithinMs = 1_000;

const trainingStatus = (items: StatusItem[]): StatusItem | undefined =>
  items.find((i) => /train|episode|RL/i.test(i.text + " " + i.label) && /\d/.test(i.text + " " + i.label));

export const train: Scenario = {
  id: 5,
  title: "Train Policy: dashboard, growing curve, status bar, playback, Stop within 1 s",
  async run({ workbench, steps, shared }) {
    const dashboard = () => readDashboard(workbench.webview());
    let first: DashboardView | undefined;

    await steps.step("RL: Train Policy on cartpole.rl.ts opens the dashboard", async () => {
      await workbench.closeAllEditors();
      await workbench.openFile("cartpole.rl.ts");
      await workbench.runCommand("RL: Train Policy");
      await waitFor(
        "a webview",
        () => workbench.webviewCount(),
        (n) => n > 0,
        { timeoutMs: 15_000 },
      );
      const { value } = await waitFor(
        "the first episodes on the dashboard",
        dashboard,
        (view) => episodesShown(view.text) > 0 && view.inkedPixels.some((n) => n > 0),
        { timeoutMs: firstCheckMs },
      );
      first = value;
      console.log(`      ${episodesShown(value.text)} episodes; tabs: ${(await workbench.tabTitles()).join(" | ")}`);
    });

    await steps.step("the reward curve grows and the status bar shows progress", async () => {
      const before = first!;
      const { value } = await waitFor(
        "more episodes and a redrawn chart",
        dashboard,
        (view) => episodesShown(view.text) > episodesShown(before.text) && view.canvases.join() !== before.canvases.join(),
        { timeoutMs: 30_000 },
      );
      console.log(`      episodes ${episodesShown(before.text)} → ${episodesShown(value.text)}`);
      const { value: status } = await waitFor(
        "training progress in the status bar",
        () => workbench.statusItems(),
        (items) => trainingStatus(items) !== undefined,
        {
          timeoutMs: 10_000,
        },
      );
      console.log(`      status bar: ${JSON.stringify(trainingStatus(status))}`);
    });

    await steps.step("the playback shows the cart moving", async () => {
      const { value: withPicture } = await waitFor("a playback picture", dashboard, (view) => view.playbackSvg.length > 0, {
        timeoutMs: 20_000,
      });
      await waitFor(
        "the playback picture to change",
        dashboard,
        (view) => view.playbackSvg.length > 0 && view.playbackSvg !== withPicture.playbackSvg,
        {
          timeoutMs: 5_000,
          intervalMs: 100,
        },
      );
    });

    await steps.step("RL: Stop Training stops it within a second and the dashboard says so", async () => {
      await workbench.runCommand("RL: Stop Training");
      const { value, ms } = await waitFor("the dashboard to say stopped", dashboard, (view) => saysStopped(view.text), {
        timeoutMs: 10_000,
        intervalMs: 50,
      });
      console.log(`      "stopped" shown ${ms} ms after the command`);
      check(ms <= stopWithinMs, `the dashboard said "stopped" ${ms} ms after the command (limit ${stopWithinMs} ms)`);
      const stoppedAt = episodesShown(value.text);
      await workbench.page.waitForTimeout(2_000);
      const later = await dashboard();
      check(episodesShown(later.text) === stoppedAt, `episodes kept growing after the stop: ${stoppedAt} → ${episodesShown(later.text)}`);
      const status = trainingStatus(await workbench.statusItems());
      check(
        status === undefined || !/\bTraining\b.*\d/.test(status.text) || /stop|done|ended/i.test(status.text),
        `the status bar still shows training: ${JSON.stringify(status)}`,
      );
      shared.set("trainedEpisodes", stoppedAt);
      shared.set("trainedCanvases", later.inkedPixels);
    });
  },
};
