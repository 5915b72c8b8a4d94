/**
 * Scenario 6: after "Developer: Reload Window" the dashboard comes back with its curves. When
 * scenario 5 stopped its run, the dashboard must show that run's episode count; when it could not
 * (its Stop failed), the reload is still checked against the curves of whatever run was on show.
 */
import { episodesShown, readDashboard } from "../dashboard";
import { check, waitFor } from "../harness";
import type { Scenario } from "../scenario";

export const reload: Scenario = {
  id: 6,
  title: "reload window: the dashboard comes back with its curves",
  async run({ workbench, steps, shared }) {
    const trained = shared.get("trainedEpisodes");
    const stoppedRun = typeof trained === "number" && trained > 0 ? trained : undefined;
    check(stoppedRun !== undefined || (await workbench.webviewCount()) > 0, "no dashboard is open to come back after the reload");

    await steps.step("Developer: Reload Window", async () => {
      await workbench.runCommand("Developer: Reload Window");
      await workbench.page.waitForEvent("load", { timeout: 30_000 });
      await workbench.waitLoaded();
    });

    await steps.step(`the dashboard is back with the curves of the ${stoppedRun ? "stopped" : "last"} run`, async () => {
      await waitFor(
        "the dashboard webview",
        () => workbench.webviewCount(),
        (n) => n > 0,
        { timeoutMs: 30_000 },
      );
      const { value } = await waitFor(
        stoppedRun ? `the curves and the ${stoppedRun} episodes of the stopped run` : "the curves and the episodes of the last run",
        () => readDashboard(workbench.webview()),
        (view) =>
          (stoppedRun ? episodesShown(view.text) === stoppedRun : episodesShown(view.text) > 0) && view.inkedPixels.some((n) => n > 0),
        { timeoutMs: 30_000 },
      );
      console.log(`      ${episodesShown(value.text)} episodes, chart ink ${value.inkedPixels.join("/")}`);
    });
  },
};
