/**
 * A run folder's policy, written as a layers model and read back the way playback reads it
 * (the files by the language server, the model by tf.io in a runner), holds the trained
 * network's weights exactly, its layer sizes and activation, and a Gaussian's log σ; a
 * folder without the files, or with a model.json that is not JSON, throws at the read.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { loadInProcess } from "../bench/harness";
import { readRunPolicy } from "../server/src/api";
import { describeEnvironment } from "../server/src/rl/envSpec";
import { Policy } from "../server/src/rl/policy";
import { savePolicy } from "../server/src/rl/runFiles";
import { loadSavedPolicy } from "../server/src/rl/savedPolicy";
import { tf } from "../server/src/rl/tf";
import { example } from "./helpers";

for (const [name, hidden, activation] of [
  ["cartpole.rl.ts", [8, 5], "tanh"],
  ["reach.rl.ts", [6], "relu"],
  ["bandit.rl.ts", [], "relu"],
] as const)
  test(`a saved policy loads back with the same weights (${name}, hidden [${hidden}], ${activation})`, async () => {
    const { user } = await loadInProcess(example(name), "cpu");
    const spec = describeEnvironment(user.create());
    const policy = new Policy(spec, [...hidden], activation, 3);
    if (policy.logStd) policy.logStd.assign(tf.tensor1d(Array.from({ length: spec.actionDim }, (_, d) => -0.25 * (d + 1))));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rlp-saved-"));
    await savePolicy(policy, dir, "Test");

    const loaded = await loadSavedPolicy(readRunPolicy(dir));
    assert.deepEqual(loaded.hidden, hidden);
    assert.equal(loaded.activation, activation);
    const network = policy.net.variables();
    assert.deepEqual(
      loaded.tensors.map((t) => t.shape),
      network.map((v) => v.shape),
    );
    loaded.tensors.forEach((t, k) => assert.deepEqual(t.values, Array.from(network[k].dataSync()), `tensor ${k}`));
    assert.deepEqual(loaded.logStd, policy.logStd ? Array.from(policy.logStd.dataSync()) : null);
    policy.dispose();
  });

test("reading a run folder without a policy, or with a model.json that is not JSON, throws", () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "rlp-saved-"));
  assert.throws(() => readRunPolicy(dir), /ENOENT.*model\.json/);
  fs.writeFileSync(path.join(dir, "model.json"), "{ not json");
  assert.throws(() => readRunPolicy(dir), SyntaxError);
});
