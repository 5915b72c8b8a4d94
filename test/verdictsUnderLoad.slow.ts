/**
 * A verdict is a function of the file, its settings and its seed: the diagnostics of every
 * example and of statistical fixtures, with two busy processes competing for this machine's
 * cores, are the ones of an idle run — codes, places, the numbers in their messages, and the
 * probe's episodes.
 */
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { cli, example, fixture } from "./helpers";

const FILES = [
  example("cartpole.rl.ts"),
  example("bandit.rl.ts"),
  example("gridworld.rl.ts"),
  example("reach.rl.ts"),
  fixture("gradient-noise.rl.ts"),
  fixture("baseline-recommended.rl.ts"),
  fixture("reward-sparse.rl.ts"),
  fixture("throw-in-step.rl.ts"),
];

interface Verdict {
  diagnostics: unknown;
  episodes: number | null;
}

function verdict(file: string): Verdict {
  const r = cli(["check", file, "--backend", "wasm", "--json"]);
  const out = JSON.parse(r.stdout) as { diagnostics: unknown; stats: { episodes: number } | null };
  return { diagnostics: out.diagnostics, episodes: out.stats?.episodes ?? null };
}

const idle = new Map<string, Verdict>();
let busy: ChildProcess[] = [];

before(() => {
  for (const file of FILES) idle.set(file, verdict(file));
  busy = [0, 1].map(() => spawn("yes", [], { stdio: ["ignore", "ignore", "ignore"] }));
});
after(() => {
  for (const p of busy) p.kill("SIGKILL");
});

for (const file of FILES)
  test(`${file.split("/").slice(-2).join("/")}: the same diagnostics and episodes with two busy processes running`, () => {
    assert.ok(
      busy.every((p) => p.exitCode === null && p.pid !== undefined),
      "the busy processes run",
    );
    assert.deepEqual(verdict(file), idle.get(file));
  });
