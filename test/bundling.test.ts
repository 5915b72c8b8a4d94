/**
 * Bundling as the editor uses it: a bundle lists the files it read (so a changed helper can
 * re-check the environments that import it), reads an imported file from the editor's
 * unsaved text when it is given one, and is timed on its own: time spent queued behind other
 * builds does not count, and a build that runs out of time never stops another file's build.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type * as Esbuild from "esbuild";
import { BundleInputs } from "../server/src/lsp/bundleInputs";
import { bundleEnvironment } from "../server/src/sandbox/bundle";
import * as esbuild from "../server/src/sandbox/esbuildLoader";
import { example, FIXTURES } from "./helpers";

const USES_HELPER = path.join(FIXTURES, "lsp", "uses-helper.rl.ts");
const HELPER = path.join(FIXTURES, "lsp", "lib", "helper.ts");

test("a bundle lists the files it read, the environment first; a failed one those read before it failed", async () => {
  const ok = await bundleEnvironment(USES_HELPER);
  assert.equal(ok.ok, true);
  assert.deepEqual(ok.inputs, [USES_HELPER, HELPER]);

  // esbuild names files by their real path.
  const dir = fs.realpathSync(fs.mkdtempSync(path.join(os.tmpdir(), "rl-bundle-inputs-")));
  try {
    fs.mkdirSync(path.join(dir, "lib"));
    fs.writeFileSync(path.join(dir, "lib", "broken.ts"), "export const x = ;\n");
    const entry = path.join(dir, "env.rl.ts");
    const failed = await bundleEnvironment(entry, 'import { x } from "./lib/broken";\nconsole.log(x);\n');
    assert.equal(failed.ok, false);
    assert.deepEqual(failed.inputs, [entry, path.join(dir, "lib", "broken.ts")]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("an imported file is bundled from the editor's unsaved text when there is one", async () => {
  const unsaved = fs.readFileSync(HELPER, "utf8").replace("return action;", 'return "from the editor" as unknown as number;');
  const r = await bundleEnvironment(USES_HELPER, undefined, { sources: (file) => (file === HELPER ? unsaved : undefined) });
  assert.equal(r.ok, true);
  assert.match(r.ok ? r.bundle.code : "", /from the editor/);
});

test("a change to a file re-checks the documents whose bundle read it, and only those", () => {
  const inputs = new BundleInputs();
  inputs.record("file:///env-a", [USES_HELPER, HELPER]);
  inputs.record("file:///env-b", [example("bandit.rl.ts")]);
  const mark = inputs.mark();
  assert.deepEqual(inputs.changed(path.join(FIXTURES, "lsp", "lib", "unrelated.ts")), []);
  assert.equal(inputs.stale(mark, [USES_HELPER, HELPER]), false);
  assert.deepEqual(inputs.changed(HELPER), ["file:///env-a"]);
  assert.equal(inputs.stale(mark, [USES_HELPER, HELPER]), true, "a bundle begun before the change may hold the old text");
  assert.equal(inputs.stale(inputs.mark(), [USES_HELPER, HELPER]), false);
});

/** A build that waits in esbuild (in its onLoad) until `open` is called. */
function gatedBuild(timeoutMs: number): { result: Promise<Esbuild.BuildResult>; loading: Promise<void>; open: () => void } {
  let open = () => undefined as void;
  let loaded = () => undefined as void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const loading = new Promise<void>((resolve) => (loaded = resolve));
  const plugin: Esbuild.Plugin = {
    name: "gate",
    setup(build) {
      build.onLoad({ filter: /.*/ }, async () => {
        loaded();
        await gate;
        return undefined;
      });
    },
  };
  const result = esbuild.build(
    { entryPoints: [example("bandit.rl.ts")], bundle: true, write: false, external: ["rl-playground"], plugins: [plugin] },
    timeoutMs,
  );
  return { result, loading, open };
}

const settled = <T>(p: Promise<T>) => {
  const state = { settled: false };
  p.then(
    () => (state.settled = true),
    () => (state.settled = true),
  );
  return state;
};

test("time queued behind other builds does not count against a build's limit", { timeout: 120_000 }, async () => {
  const busy = Array.from({ length: esbuild.BUILDS_AT_ONCE }, () => gatedBuild(600_000));
  await Promise.all(busy.map((b) => b.loading));
  // Every lane holds a build that waits: this one queues, with a limit of 50 ms of its own.
  const queued = bundleEnvironment(example("cartpole.rl.ts"), undefined, { timeoutMs: 50 });
  const state = settled(queued);
  // A timer armed after the queued build's would-be timer, with a longer delay, fires after it.
  await new Promise((resolve) => setTimeout(resolve, 200));
  assert.equal(state.settled, false, "the queued build's clock has not started");
  for (const b of busy) b.open();
  for (const b of busy) assert.equal((await b.result).errors.length, 0);
  await queued;
});

test("a build that runs out of time does not stop another file's build in esbuild", { timeout: 120_000 }, async () => {
  const other = gatedBuild(600_000);
  await other.loading;
  // No bundle finishes in 0 ms: this one times out while the other is in esbuild.
  const late = await bundleEnvironment(example("cartpole.rl.ts"), undefined, { timeoutMs: 0 });
  assert.match(late.ok ? "" : late.errors[0].message, /bundling did not finish within 0 s of its own/);
  other.open();
  const r = await other.result;
  assert.equal(r.errors.length, 0, "the other build finished");
  assert.match(r.outputFiles?.[0]?.text ?? "", /Bandit/);
  // And esbuild serves the next build as usual.
  assert.equal((await bundleEnvironment(example("cartpole.rl.ts"))).ok, true);
});
