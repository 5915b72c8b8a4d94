/**
 * The folders code-server opens: a copy of examples/ plus the e2e fixtures (the trusted workspace),
 * and a separate folder with only the marker-writing file (the untrusted one, so that nothing the
 * trusted scenarios ran can have written the marker).
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { check } from "./harness";
import { repoRoot } from "./tools";

export const markerFixture = "writes-marker.rl.ts";
export const markerFile = "user-code-ran.marker";
/** The New Environment template as written into the workspace, class `Quick` (scenario 9). */
export const quickFile = "quick.rl.ts";
/** The failure Debug failing episode stops on (scenario 10). */
export const debugFile = "throw-after-pattern.rl.ts";

export class WorkspaceFolder {
  constructor(readonly dir: string) {}

  file(name: string): string {
    return path.join(this.dir, name);
  }

  read(name: string): string {
    return fs.readFileSync(this.file(name), "utf8");
  }

  exists(name: string): boolean {
    return fs.existsSync(this.file(name));
  }

  /**
   * 1-based line and column of the `occurrence`-th appearance of `needle` in the file on disk
   * (plus `offset` characters into it), so scenarios name code by its text, not by numbers that
   * break when the example is edited.
   */
  locate(name: string, needle: string, options: { occurrence?: number; offset?: number } = {}): { line: number; column: number } {
    const text = this.read(name);
    let at = -1;
    for (let i = 0; i < (options.occurrence ?? 1); i++) {
      at = text.indexOf(needle, at + 1);
      check(at >= 0, `"${needle}" does not occur ${options.occurrence ?? 1} time(s) in ${name}`);
    }
    at += options.offset ?? 0;
    const before = text.slice(0, at).split("\n");
    return { line: before.length, column: (before.at(-1)?.length ?? 0) + 1 };
  }
}

export function prepareWorkspaces(runDir: string): { trusted: WorkspaceFolder; untrusted: WorkspaceFolder } {
  const trusted = path.join(runDir, "workspace");
  // Named without "trust" or "restricted", so that no message can match the trust checks by quoting the path.
  const untrusted = path.join(runDir, "second-folder");
  fs.cpSync(path.join(repoRoot, "examples"), trusted, { recursive: true });
  const fixtures = path.join(repoRoot, "test/fixtures/e2e");
  for (const name of fs.readdirSync(fixtures)) {
    if (name === markerFixture) continue;
    fs.copyFileSync(path.join(fixtures, name), path.join(trusted, name));
  }
  // The engine tests' fixture whose step throws after a 7-action pattern, for scenario 10.
  fs.copyFileSync(path.join(repoRoot, "test/fixtures", debugFile), path.join(trusted, debugFile));
  // A fresh copy of the New Environment template (it checks clean and is solved in seconds), for
  // scenario 9; on disk before the workbench starts, so that Quick Open lists it.
  const template = fs.readFileSync(path.join(repoRoot, "templates", "environment.rl.ts"), "utf8");
  fs.writeFileSync(path.join(trusted, quickFile), template.split("__CLASS_NAME__").join("Quick"));
  fs.mkdirSync(untrusted, { recursive: true });
  fs.copyFileSync(path.join(fixtures, markerFixture), path.join(untrusted, markerFixture));
  return { trusted: new WorkspaceFolder(trusted), untrusted: new WorkspaceFolder(untrusted) };
}
