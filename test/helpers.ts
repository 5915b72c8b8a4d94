/** Shared by the tests: which backends to run on, paths, and the CLI. */
import { spawnSync } from "node:child_process";
import * as path from "node:path";
import type { BackendName } from "../server/src/protocol";

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
