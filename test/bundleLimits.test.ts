/**
 * The bundler runs outside the runner's limits, in esbuild's own process: an import of a
 * device, a FIFO or a huge file is refused on the import line before esbuild reads it, and a
 * bundle that does not finish in time stops esbuild instead of holding the check.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { bundleEnvironment } from "../server/src/sandbox/bundle";
import { example } from "./helpers";

const ENV = `
import { Discrete, Environment } from "rl-playground";
export default class E extends Environment<number, number> {
  observationSpace = new Discrete(1);
  actionSpace = new Discrete(2);
  reset(): [number, Record<string, unknown>] { return [0, {}]; }
  step(a: number): [number, number, boolean, boolean, Record<string, unknown>] { return [0, a, true, false, {}]; }
}
`;

test("the first bundle that runs past its time limit stops esbuild; the next one starts it again", async () => {
  // No bundle finishes in 0 ms, least of all the first, which starts esbuild's process.
  const stuck = await bundleEnvironment(example("cartpole.rl.ts"), undefined, { timeoutMs: 0 });
  assert.equal(stuck.ok, false);
  assert.match(stuck.ok ? "" : stuck.errors[0].message, /bundling did not finish within 0 s/);
  const next = await bundleEnvironment(example("cartpole.rl.ts"));
  assert.equal(next.ok, true);
});

test("imports of a huge file, a FIFO and a device are transpile errors on the import line", { timeout: 30_000 }, async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rl-bundle-"));
  try {
    execFileSync("mkfifo", [path.join(dir, "pipe")]);
    fs.writeFileSync(path.join(dir, "huge.json"), "");
    fs.truncateSync(path.join(dir, "huge.json"), 17 * 2 ** 20);
    // Today's failure of each comes first: a huge file's contents, then a FIFO that blocks, then a device without end.
    const cases: Array<[string, RegExp]> = [
      ["./huge.json", /huge\.json is 17\.0 MiB, over the limit of 16\.0 MiB/],
      ["./pipe", /pipe is a named pipe \(FIFO\), not a source file/],
      ["/dev/zero", /\/dev\/zero is a device, not a source file/],
    ];
    for (const [target, says] of cases) {
      const file = path.join(dir, "env.rl.ts");
      fs.writeFileSync(file, `// data\nimport data from "${target}";\nconsole.log(data);\n${ENV}`);
      const r = await bundleEnvironment(file);
      assert.equal(r.ok, false, target);
      const e = r.ok ? null : r.errors[0];
      assert.match(e?.message ?? "", says);
      assert.equal(e?.place.line, 1, `${target}: on the import line`);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
