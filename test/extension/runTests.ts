/**
 * `npm run test:extension`: the extension's test suite in a real VS Code with
 * @vscode/test-electron, run as a node:test test so that the results count it. It needs a VS
 * Code executable in `VSCODE_EXECUTABLE` (this machine cannot download one); without it the
 * test is reported skipped, with the reason. The suite runs on a copy of
 * test/extension/fixture with a throwaway user-data and extensions folder.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test } from "node:test";
import * as esbuild from "esbuild";
import { runTests } from "@vscode/test-electron";

const ROOT = path.resolve(__dirname, "..", "..");
const OUT = path.join(ROOT, "dist", "extension-tests");

const executable = process.env.VSCODE_EXECUTABLE;
const skipReason =
  "VSCODE_EXECUTABLE is not set: @vscode/test-electron needs a VS Code build and this machine cannot download one; " +
  "set VSCODE_EXECUTABLE to a VS Code executable (e.g. /usr/share/code/code) to run it";

test("the extension's suite passes in a real VS Code (test-electron)", { skip: executable ? false : skipReason }, async () => {
  await esbuild.build({
    entryPoints: { index: path.join(__dirname, "suite", "index.ts"), "extension.test": path.join(__dirname, "suite", "extension.test.ts") },
    bundle: true,
    platform: "node",
    target: "node20",
    format: "cjs",
    sourcemap: true,
    external: ["vscode", "mocha"],
    outdir: OUT,
    logLevel: "warning",
  });
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), "rl-extension-test-"));
  const workspace = path.join(scratch, "workspace");
  fs.cpSync(path.join(__dirname, "fixture"), workspace, { recursive: true });
  try {
    // Rejects when VS Code exits non-zero, i.e. when a test of the suite failed.
    await runTests({
      vscodeExecutablePath: executable,
      extensionDevelopmentPath: ROOT,
      extensionTestsPath: path.join(OUT, "index.js"),
      launchArgs: [
        workspace,
        "--disable-extensions",
        "--disable-workspace-trust",
        "--skip-welcome",
        "--skip-release-notes",
        `--user-data-dir=${path.join(scratch, "user-data")}`,
        `--extensions-dir=${path.join(scratch, "extensions")}`,
      ],
    });
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
});
