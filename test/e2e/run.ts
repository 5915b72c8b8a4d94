/**
 * `npm run test:e2e [-- --only 1,5] [--theme light] [--no-package]`: the user's whole journey in a
 * real VS Code (code-server + headless Chromium). Installs the tools into a cache outside the
 * repository, packages the extension, installs the .vsix into a throwaway profile, opens a copy of
 * examples/ and runs the user's scenarios (scenarios/) in order, with a screenshot after every step into
 * the folder it prints. Exits 1 when a scenario fails; always stops the code-server it started.
 *
 * Environment: RL_E2E_CACHE (tool cache, default ~/.cache/rl-playground-e2e), RL_E2E_OUT (run folder,
 * default a fresh folder under the system temp dir), CHROMIUM_PATH (the browser, default /usr/bin/chromium).
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import type { Theme } from "./codeServer";
import { ensureDir, StepRecorder } from "./harness";
import type { Scenario, ScenarioContext } from "./scenario";
import { scenarios } from "./scenarios/index";
import { Session } from "./session";
import { installTools, packageExtension, repoRoot } from "./tools";
import { prepareWorkspaces } from "./workspace";

interface ScenarioResult {
  id: number;
  title: string;
  ok: boolean;
  ms: number;
  error?: string;
  steps: StepRecorder["steps"];
}

const { values } = parseArgs({
  options: {
    only: { type: "string" },
    theme: { type: "string", default: "dark" },
    "no-package": { type: "boolean", default: false },
  },
});
const theme: Theme = values.theme === "light" ? "light" : "dark";
const only = values.only ? new Set(values.only.split(",").map(Number)) : undefined;
const selected: Scenario[] = scenarios.filter((s) => !only || only.has(s.id));

const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;

async function timed<T>(label: string, body: () => Promise<T>, times: Record<string, number>): Promise<T> {
  const started = Date.now();
  console.log(`== ${label}`);
  const result = await body();
  times[label] = Date.now() - started;
  console.log(`   ${label}: ${seconds(times[label])}`);
  return result;
}

async function main(): Promise<number> {
  const runStarted = Date.now();
  const runDir = process.env.RL_E2E_OUT ? ensureDir(process.env.RL_E2E_OUT) : fs.mkdtempSync(path.join(os.tmpdir(), "rl-e2e-"));
  const shotsDir = ensureDir(path.join(runDir, "screenshots"));
  console.log(
    `e2e run folder: ${runDir}\nscreenshots:    ${shotsDir}\ntheme: ${theme}; scenarios: ${selected.map((s) => s.id).join(", ")}`,
  );
  const times: Record<string, number> = {};

  const tools = await timed("install tools", installTools, times);
  const vsix = values["no-package"]
    ? (fs.copyFileSync(path.join(repoRoot, "rl-playground.vsix"), path.join(runDir, "rl-playground.vsix")),
      path.join(runDir, "rl-playground.vsix"))
    : await timed("package", () => packageExtension(runDir), times);
  const { trusted, untrusted } = prepareWorkspaces(runDir);

  const session = new Session({ runDir, tools, vsix, theme, trusted, untrusted });
  const onSignal = (): void => {
    session.killNow();
    process.exit(130);
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);

  const results: ScenarioResult[] = [];
  try {
    const workbench = await timed("start code-server and open the workspace", () => session.start(), times);
    const shared = new Map<string, unknown>();
    for (const scenario of selected) {
      console.log(`-- scenario ${scenario.id}: ${scenario.title}`);
      const steps = new StepRecorder(shotsDir, `s${scenario.id}`, () => session.page!);
      const context: ScenarioContext = { session, workbench, workspace: trusted, untrustedWorkspace: untrusted, steps, shared };
      const started = Date.now();
      try {
        await scenario.run(context);
        if (steps.failed)
          throw new Error(
            steps.steps
              .filter((s) => s.error)
              .map((s) => `step "${s.name}": ${s.error} (screenshot: ${s.screenshot})`)
              .join("; "),
          );
        results.push({ id: scenario.id, title: scenario.title, ok: true, ms: Date.now() - started, steps: steps.steps });
        console.log(`   ok (${seconds(Date.now() - started)})`);
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        results.push({ id: scenario.id, title: scenario.title, ok: false, ms: Date.now() - started, error: message, steps: steps.steps });
        console.log(`   FAILED (${seconds(Date.now() - started)}): ${message}`);
        if (!steps.steps.some((s) => s.error)) console.log(`   screenshot: ${await steps.screenshot("FAILED")}`);
      }
    }
  } finally {
    await session.close();
  }

  const total = Date.now() - runStarted;
  console.log("\n== summary");
  for (const [label, ms] of Object.entries(times)) console.log(`   ${label.padEnd(42)} ${seconds(ms)}`);
  for (const r of results)
    console.log(`   ${r.ok ? "ok    " : "FAILED"} ${String(r.id).padStart(2)} ${r.title.padEnd(60)} ${seconds(r.ms)}`);
  console.log(`   whole run ${seconds(total)}; screenshots in ${shotsDir}; logs in ${session.logFolders().join(", ")}`);
  fs.writeFileSync(path.join(runDir, "summary.json"), JSON.stringify({ theme, times, results, totalMs: total }, null, 2));
  const failed = results.filter((r) => !r.ok).length;
  if (failed) console.log(`${failed} of ${results.length} scenarios failed`);
  return failed || results.length < selected.length ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
