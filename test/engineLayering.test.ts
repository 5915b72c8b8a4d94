/** The engine's layering (design §1): `rl/` (the math) imports nothing from `sandbox/` (running user code), nor the editor. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { ROOT } from "./helpers";

test("server/src/rl imports nothing from sandbox/, vscode or vscode-languageserver", () => {
  const dir = path.join(ROOT, "server", "src", "rl");
  const offending: string[] = [];
  for (const file of fs.readdirSync(dir).filter((f) => f.endsWith(".ts"))) {
    const source = fs.readFileSync(path.join(dir, file), "utf8");
    for (const m of source.matchAll(/^\s*(?:import|export)\b[^;]*?from\s+"([^"]+)"/gms))
      if (/(^|\/)sandbox\/|^vscode($|-languageserver)/.test(m[1])) offending.push(`${file}: ${m[1]}`);
  }
  assert.deepEqual(offending, []);
});
