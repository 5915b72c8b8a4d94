/** The command line of design §4: output formats, the run folder, exit codes. */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { tf } from "../server/src/rl/tf";
import { cli, example } from "./helpers";

/** examples/bandit.rl.ts declares `rewardThreshold = 0.95`. */
const BANDIT_THRESHOLD = 0.95;

test("train --json prints a progress object per update and a summary, and saves the run", async () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "rlp-run-"));
  const r = cli(["train", example("bandit.rl.ts"), "--json", "--backend", "cpu", "--seed", "1", "--out", out]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l));
  const progress = lines.filter((l) => l.type === "progress");
  const summary = lines[lines.length - 1];
  assert.equal(lines.length, progress.length + 1);
  assert.deepEqual(
    progress.map((p) => p.update),
    progress.map((_, i) => i + 1),
  );
  for (const key of ["traceCov", "gradNormSq", "snr", "noiseScale", "baselineReduction"]) assert.ok(key in progress[0].gradient, key);
  assert.equal(summary.type, "summary");
  for (const key of ["episodes", "seconds", "meanReturn100", "solved", "backend"]) assert.ok(key in summary, key);
  assert.equal(summary.backend, "cpu");
  assert.equal(summary.solved, true);
  assert.equal(summary.runDir, out);
  // The saved summary names the threshold and the file, so the dashboard can reopen the run whole.
  const saved = JSON.parse(fs.readFileSync(path.join(out, "summary.json"), "utf8"));
  assert.equal(saved.rewardThreshold, BANDIT_THRESHOLD);
  assert.equal(saved.file, path.resolve(example("bandit.rl.ts")));

  // metrics.jsonl has the progress rows; metrics.csv the same with a header.
  const jsonl = fs.readFileSync(path.join(out, "metrics.jsonl"), "utf8").trim().split("\n");
  assert.equal(jsonl.length, progress.length);
  const csv = fs.readFileSync(path.join(out, "metrics.csv"), "utf8").trim().split("\n");
  assert.equal(csv.length, progress.length + 1);
  assert.match(csv[0], /^update,episodes,envSteps,/);

  // The policy loads back with TensorFlow.js and prefers the best arm (index 2).
  const model = await tf.loadLayersModel({
    load: async () => {
      const json = JSON.parse(fs.readFileSync(path.join(out, "model.json"), "utf8"));
      const bin = fs.readFileSync(path.join(out, "weights.bin"));
      return {
        modelTopology: json.modelTopology,
        weightSpecs: json.weightsManifest[0].weights,
        weightData: bin.buffer.slice(bin.byteOffset, bin.byteOffset + bin.byteLength),
      };
    },
  });
  const probs = Array.from(tf.tidy(() => (model.predict(tf.tensor2d([[1]])) as tf.Tensor).dataSync()));
  assert.equal(probs.length, 4);
  assert.ok(Math.abs(probs.reduce((s, p) => s + p, 0) - 1) < 1e-5);
  assert.equal(probs.indexOf(Math.max(...probs)), 2);
  assert.ok(probs[2] > 0.9, `π(best arm) = ${probs[2]}`);
  model.dispose();
  const policy = JSON.parse(fs.readFileSync(path.join(out, "policy.json"), "utf8"));
  assert.equal(policy.distribution, "categorical");
});

test("train without --json prints a readable summary naming the backend", () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "rlp-run-"));
  const r = cli(["train", example("bandit.rl.ts"), "--backend", "wasm", "--out", out]);
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /Bandit: solved after \d+ episodes/);
  assert.match(r.stdout, /backend: "wasm"/);
});

test("check --json prints design §4's object, with the exact gradient for an enumerable environment", () => {
  const r = cli(["check", example("bandit.rl.ts"), "--json", "--backend", "cpu", "--episodes", "64"]);
  assert.equal(r.status, 0, r.stderr);
  const o = JSON.parse(r.stdout);
  assert.equal(o.file, example("bandit.rl.ts"));
  assert.ok(Array.isArray(o.diagnostics));
  assert.equal(o.stats.episodes, 64);
  for (const key of ["returnMean", "returnStd"]) assert.equal(typeof o.stats[key], "number");
  for (const key of ["traceCov", "gradNormSq", "snr", "noiseScale", "baselineReduction"]) assert.ok(key in o.stats.gradient, key);
  assert.equal(typeof o.stats.exact.gradNormSq, "number");
  assert.equal(typeof o.stats.exact.traceCov, "number");

  const cart = JSON.parse(cli(["check", example("cartpole.rl.ts"), "--json", "--backend", "cpu", "--episodes", "16"]).stdout);
  assert.equal(cart.stats.exact, null);
});

test("bad arguments exit with 2 and say why", () => {
  const cases: string[][] = [
    ["train"],
    ["train", example("bandit.rl.ts"), "--backend", "gpu"],
    ["train", example("bandit.rl.ts"), "--episodes", "-3"],
    ["check", example("bandit.rl.ts"), "--episodes", "abc"],
    ["train", "no/such/file.rl.ts"],
    ["frobnicate"],
  ];
  for (const args of cases) {
    const r = cli(args);
    assert.equal(r.status, 2, `${args.join(" ")}: ${r.stderr}`);
    assert.ok(r.stderr.trim().length > 0, `${args.join(" ")} explains itself`);
  }
  assert.equal(cli(["--help"]).status, 0);
});

test("--backend tensorflow trains on native TensorFlow when it loads, and otherwise says how to get it", () => {
  const r = cli([
    "train",
    example("bandit.rl.ts"),
    "--backend",
    "tensorflow",
    "--json",
    "--out",
    fs.mkdtempSync(path.join(os.tmpdir(), "rlp-run-")),
  ]);
  if (nativeInstalled()) {
    assert.equal(r.status, 0, r.stderr);
    assert.equal(JSON.parse(r.stdout.trim().split("\n").pop() as string).backend, "tensorflow");
  } else {
    assert.equal(r.status, 1);
    assert.match(r.stderr, /native TensorFlow backend is not available.*npm run native/);
  }
});

function nativeInstalled(): boolean {
  try {
    require("@tensorflow/tfjs-node");
    return true;
  } catch {
    return false;
  }
}

test("train --episodes N spends exactly N episodes when the environment is not solved first", () => {
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "rlp-run-"));
  const r = cli(["train", example("gridworld.rl.ts"), "--episodes", "100", "--json", "--backend", "cpu", "--out", out]);
  assert.equal(r.status, 0, r.stderr);
  const summary = JSON.parse(r.stdout.trim().split("\n").pop() as string);
  assert.equal(summary.episodes, 100);
  assert.equal(summary.reason, "budget");
  assert.equal(summary.updates, 7); // six of 16, then the last 4
});

test("check without --json labels the SNR over the probe's episodes and the SNR at episodesPerUpdate", () => {
  const r = cli(["check", example("bandit.rl.ts"), "--backend", "cpu", "--episodes", "64"]);
  assert.equal(r.status, 0, r.stderr);
  const perUpdate = JSON.parse(cli(["check", example("bandit.rl.ts"), "--json", "--backend", "cpu", "--episodes", "64"]).stdout).summary
    .atEpisodesPerUpdate.episodes;
  assert.match(
    r.stdout,
    new RegExp(`SNR \\S+ over the probe's 64 episodes; \\S+ at ${perUpdate} episodes/update \\(what one update sees\\)`),
  );
  // No SNR without saying at how many episodes.
  assert.doesNotMatch(r.stdout, /\bsnr \S+,/i);
});
