/** Scenario 6: after "Developer: Reload Window" the dashboard comes back with its curves. */
import { episodesShown, readDashboard } from "../dashboard";
import { check, waitFor } from "../harness";
import type { Scenario } from "../scenario";

export const reload: Scenario = {
  id: 6,
  title: "reload window: the dashboard comes back with its curves",
  async run({ workbench, steps, shared }) {
    const trained = shared.get("trainedEpisodes");
    check(typeof trained === "number" && trained > 0, "scenario 5 left no trained run to come back");

    await steps.step("Developer: Reload Window", async () => {
      await workbench.runCommand("Developer: Reload Window");
      await workbench.page.waitForEvent("load", { timeout: 30_000 });
      await workbench.waitLoaded();
    });

    await steps.step("the dashboard is back with the curves of the stopped run", async () => {
      await waitFor(
        "the dashboard webview",
        () => workbench.webviewCount(),
        (n) => n > 0,
        { timeoutMs: 30_000 },
      );
      const { value } = await waitFor(
        "the curves and the episode count of the stopped run",
        () => readDashboard(workbench.webview()),
        (view) => episodesShown(view.text) === trained && view.inkedPixels.some((n) => n > 0),
        { timeoutMs: 30_000 },
      );
      console.log(`      ${episodesShown(value.text)} episodes, chart ink ${value.inkedPixels.join("/")}`);
    });
  },
};
