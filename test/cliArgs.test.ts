/**
 * The CLI's arguments and endings: bad arguments exit 2 at once with a
 * message naming them; Ctrl-C still prints a summary; failed or stopped runs never leave a
 * half-written run folder; a missing native backend is noted once, tfjs's banner never.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ROOT, cli, example, fixture } from "./helpers";

const BANNER = /looks like you are running TensorFlow\.js in Node\.js/i;

test("a run folder that cannot be written exits 2 naming it, at once", () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "rlp-out-")), "a-file");
  fs.writeFileSync(file, "");
  for (const out of ["/proc/x", file, path.join(file, "below")]) {
    const r = cli(["train", example("bandit.rl.ts"), "--backend", "cpu", "--out", out], 30_000);
    assert.equal(r.status, 2, `${out}: ${r.stderr}`);
    assert.match(r.stderr, /--out/);
    assert.ok(r.stderr.includes(out) || r.stderr.includes(path.dirname(out)), r.stderr);
  }
});

test("--out never deletes the user's files: a folder with other files is refused, a previous run is replaced", () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), "rlp-keep-"));
  const precious = path.join(parent, "notes");
  fs.mkdirSync(precious);
  fs.writeFileSync(path.join(precious, "a.txt"), "precious");
  const refused = cli(["train", example("bandit.rl.ts"), "--backend", "cpu", "--episodes", "32", "--out", precious], 30_000);
  assert.equal(refused.status, 2, refused.stderr);
  assert.match(refused.stderr, /--out.*not a run folder/);
  assert.deepEqual(fs.readdirSync(precious), ["a.txt"]);
  assert.equal(fs.readFileSync(path.join(precious, "a.txt"), "utf8"), "precious");
  assert.deepEqual(fs.readdirSync(parent), ["notes"], "no staging folder is left behind");

  const run = path.join(parent, "run");
  for (const episodes of ["32", "48"]) {
    const r = cli(["train", example("bandit.rl.ts"), "--backend", "cpu", "--episodes", episodes, "--out", run, "--json"], 60_000);
    assert.equal(r.status, 0, r.stderr);
  }
  assert.equal(JSON.parse(fs.readFileSync(path.join(run, "summary.json"), "utf8")).episodes, 48, "the second run replaced the first");
});

test("a folder, a non-environment file and absurd numbers exit 2 with a message that says what is wrong", () => {
  const cases: [string[], RegExp][] = [
    [["check", path.join(ROOT, "examples")], /is a folder/],
    [["train", path.join(ROOT, "package.json")], /not an environment file.*\.rl\.ts/],
    [["train", example("bandit.rl.ts"), "--episodes", "1e12"], /--episodes.*whole number/],
    [["train", example("bandit.rl.ts"), "--episodes", "99999999999999999999999"], /--episodes/],
    [["train", example("bandit.rl.ts"), "--episodes", "0"], /out of range/],
    [["check", example("bandit.rl.ts"), "--episodes", "1000000000"], /out of range/],
    [["check", example("bandit.rl.ts"), "--seed", "4294967296"], /--seed.*out of range/],
  ];
  for (const [args, message] of cases) {
    const r = cli(args, 30_000);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.match(r.stderr, message, args.join(" "));
  }
});

test("a run that fails leaves no run folder and exits 1", () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), "rlp-fail-"));
  const r = cli(["train", fixture("throw-in-step.rl.ts"), "--backend", "cpu", "--json", "--out", path.join(parent, "run")]);
  assert.equal(r.status, 1, r.stderr);
  assert.deepEqual(fs.readdirSync(parent), []);
});

test("Ctrl-C on train --json ends with a summary line whose reason is stopped, and no half-written folder", async () => {
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), "rlp-int-"));
  const out = path.join(parent, "run");
  const child = spawn(
    process.execPath,
    [
      path.join(ROOT, "bin", "rl-playground.js"),
      "train",
      example("cartpole.rl.ts"),
      "--json",
      "--backend",
      "wasm",
      "--episodes",
      "1000000",
      "--out",
      out,
    ],
    { cwd: ROOT },
  );
  let stdout = "";
  let interrupted = false;
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
    if (!interrupted && stdout.split("\n").filter((l) => l.includes('"progress"')).length >= 3) {
      interrupted = true;
      child.kill("SIGINT");
    }
  });
  const status = await new Promise<number | null>((resolve) => child.on("exit", resolve));
  const lines = stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  const summary = lines[lines.length - 1];
  assert.equal(status, 0);
  assert.equal(summary.type, "summary");
  assert.equal(summary.reason, "stopped");
  assert.equal(summary.solved, false);
  assert.ok(summary.episodes > 0);
  const left = fs.readdirSync(parent);
  if (summary.runDir) {
    assert.deepEqual(left, ["run"]);
    assert.equal(JSON.parse(fs.readFileSync(path.join(out, "summary.json"), "utf8")).reason, "stopped");
  } else assert.deepEqual(left, []);
});

test("without native TensorFlow the first run says so once, in one line; tfjs's banner never shows", () => {
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), "rlp-note-"));
  const env = { ...process.env, RL_PLAYGROUND_NO_NATIVE: "1", RL_PLAYGROUND_CACHE: cache };
  const run = () => {
    const r = cliWithEnv(["check", example("bandit.rl.ts"), "--episodes", "16"], env);
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout + r.stderr, BANNER);
    return r.stderr.split("\n").filter((l) => /native TensorFlow/.test(l));
  };
  const first = run();
  assert.equal(first.length, 1, first.join("\n"));
  assert.match(first[0], /npm run native/);
  assert.deepEqual(run(), []);
});

function cliWithEnv(args: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync(process.execPath, [path.join(ROOT, "bin", "rl-playground.js"), ...args], {
    cwd: ROOT,
    encoding: "utf8",
    env,
    timeout: 120_000,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}
