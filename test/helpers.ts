/** Shared by the tests: which backends to run on, paths, and the CLI. */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import type { BackendName } from "../server/src/protocol";
import { tf } from "../server/src/rl/tf";

// TensorFlow.js's "install our node backend" banner and debug checks are not for test output.
tf.enableProdMode();

export const ROOT = path.resolve(__dirname, "..");
export const EXAMPLES = path.join(ROOT, "examples");
export const FIXTURES = path.join(ROOT, "test", "fixtures");

/** `RL_TEST_BACKENDS=tensorflow npm test` runs the engine tests on native TensorFlow. */
export const BACKENDS = (process.env.RL_TEST_BACKENDS ?? "wasm,cpu").split(",").map((b) => b.trim()) as BackendName[];

export function example(name: string): string {
  return path.join(EXAMPLES, name);
}
export function fixture(name: string): string {
  return path.join(FIXTURES, name);
}

export interface CliResult {
  status: number | null;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs the built CLI; a hang fails the test at `timeoutMs` instead of hanging the suite. */
export function cli(args: string[], timeoutMs = 120_000): CliResult {
  const start = Date.now();
  const r = spawnSync(process.execPath, [path.join(ROOT, "bin", "rl-playground.js"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    timeout: timeoutMs,
  });
  if (r.error) throw r.error;
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, ms: Date.now() - start };
}

/** 0-based line of the first line of `text` containing `marker`. */
export function lineOf(text: string, marker: string): number {
  const line = text.split("\n").findIndex((l) => l.includes(marker));
  if (line < 0) throw new Error(`marker ${marker} not found`);
  return line;
}

/** Pids of live processes whose command line contains `text` (Linux /proc). */
export function processesMatching(text: string): number[] {
  const out: number[] = [];
  for (const name of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const cmdline = fs.readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0").join(" ");
      const state = fs.readFileSync(`/proc/${name}/stat`, "utf8").split(") ")[1]?.[0];
      if (cmdline.includes(text) && state !== "Z") out.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

/** Polls `condition` every 50 ms until it holds or `timeoutMs` passes; returns whether it held. */
export async function eventually(condition: () => boolean, timeoutMs: number): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return condition();
}
