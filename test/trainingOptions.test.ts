/**
 * Each training option does what it promises:
 * - normalizeAdvantages changes the step (Ψ rescaled to mean 0, std 1 over the batch's
 *   steps), never the statistics (they describe Ψ itself);
 * - the entropy bonus pulls the policy toward more randomness: with every reward zero the
 *   policy gradient is zero, and the bonus alone raises the entropy (categorical) or σ (Gaussian);
 * - the value baseline regresses V(s) on the return-to-go, so V approaches E[G_t | s_t]
 *   (enumerated here for the two-step MDP) and cuts the variance of the estimate.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadInProcess } from "../bench/harness";
import type { TrainingSettings } from "../server/src/protocol";
import { describeEnvironment } from "../server/src/rl/envSpec";
import { Reinforce } from "../server/src/rl/reinforce";
import type { EpisodeBatch } from "../server/src/rl/episodeBatch";
import { LockstepRollout } from "../server/src/rl/rollout";
import { resolveSettings } from "../server/src/rl/settings";
import { tf } from "../server/src/rl/tf";
import { makeRng } from "../server/src/runtime/index";
import { example, fixture } from "./helpers";

async function setUp(file: string, overrides: Partial<TrainingSettings>, episodes: number) {
  const { user, guard } = await loadInProcess(file, "cpu");
  const spec = describeEnvironment(user.create());
  const settings = resolveSettings(user.training, overrides);
  const rollout = new LockstepRollout(user, spec, episodes, 0, guard);
  return { spec, settings, rollout };
}

function realRows(batch: EpisodeBatch, column: Float64Array): number[] {
  const out: number[] = [];
  for (let i = 0; i < batch.n; i++) for (let t = 0; t < batch.lengths[i]; t++) out.push(column[i * batch.stride + t]);
  return out;
}

test("normalizeAdvantages changes the step, never the statistics", async () => {
  const { spec, settings, rollout } = await setUp(example("gridworld.rl.ts"), { seed: 4, baseline: "mean" }, 32);
  const plain = new Reinforce(spec, settings);
  const normal = new Reinforce(spec, { ...settings, normalizeAdvantages: true });
  const batch = rollout.collect(plain.policy, makeRng("normalize")) as EpisodeBatch;

  const cols = normal.weightColumns(batch);
  const step = realRows(batch, cols.columns[cols.step]);
  const mean = step.reduce((s, v) => s + v, 0) / step.length;
  const std = Math.sqrt(step.reduce((s, v) => s + (v - mean) ** 2, 0) / step.length);
  assert.ok(Math.abs(mean) < 1e-9 && Math.abs(std - 1) < 1e-6, `step Ψ: mean ${mean}, std ${std}`);
  assert.deepEqual(realRows(batch, cols.columns[cols.stats]), realRows(batch, plain.weightColumns(batch).columns[0]));

  const a = plain.update(batch);
  const b = normal.update(batch);
  assert.deepEqual(b.gradient, a.gradient, "the statistics describe Ψ, whatever the step uses");
  const params = (r: Reinforce) => r.policy.variables().flatMap((v) => Array.from(v.dataSync()));
  assert.notDeepEqual(params(normal), params(plain), "the steps differ");
  plain.dispose();
  normal.dispose();
});

/** Mean entropy of π(·|s) over the batch's states (categorical), from the policy's logits. */
function meanEntropy(agent: Reinforce, batch: EpisodeBatch, featureDim: number, actions: number): number {
  let total = 0;
  let count = 0;
  for (let i = 0; i < batch.n; i++)
    for (let t = 0; t < batch.lengths[i]; t++) {
      const row = i * batch.stride + t;
      const logits = agent.policy.predict(batch.features.slice(row * featureDim, (row + 1) * featureDim), 1);
      const max = Math.max(...logits);
      const z = Array.from(logits, (l) => Math.exp(l - max));
      const sum = z.reduce((s, v) => s + v, 0);
      total -= z.reduce((h, v) => h + (v / sum) * Math.log(v / sum), 0);
      count++;
    }
  assert.ok(actions > 1);
  return total / count;
}

test("the entropy bonus alone raises the policy's entropy (categorical) and σ (Gaussian)", async () => {
  // Categorical: the two-step MDP from a skewed policy, every reward zeroed so ĝ = 0.
  const mdp = await setUp(fixture("two-step-mdp.rl.ts"), { seed: 2, baseline: "none", learningRate: 0.05 }, 64);
  for (const beta of [0, 0.1]) {
    const agent = new Reinforce(mdp.spec, { ...mdp.settings, entropyCoef: beta });
    const rng = makeRng("skew");
    for (const v of agent.policy.variables())
      v.assign(
        tf.tensor(
          Float32Array.from({ length: v.size }, () => 2 * rng() - 1),
          v.shape,
        ),
      );
    const batch = mdp.rollout.collect(agent.policy, makeRng("entropy")) as EpisodeBatch;
    batch.rewards.fill(0);
    const before = meanEntropy(agent, batch, mdp.spec.featureDim, 2);
    for (let k = 0; k < 5; k++) agent.update(batch);
    const after = meanEntropy(agent, batch, mdp.spec.featureDim, 2);
    if (beta === 0) assert.ok(Math.abs(after - before) < 1e-6, `no bonus, no reward: the policy stays (${before} → ${after})`);
    else assert.ok(after > before + 1e-3, `entropy ${before} → ${after}`);
    agent.dispose();
  }
  // Gaussian: reach, rewards zeroed; σ grows (the bonus's gradient on log σ is β·steps/N > 0).
  const reach = await setUp(example("reach.rl.ts"), { seed: 2, baseline: "none", entropyCoef: 0.1 }, 16);
  const agent = new Reinforce(reach.spec, reach.settings);
  const batch = reach.rollout.collect(agent.policy, makeRng("gauss")) as EpisodeBatch;
  batch.rewards.fill(0);
  const sigma0 = Array.from(agent.policy.std() as Float32Array);
  agent.update(batch);
  const sigma1 = Array.from(agent.policy.std() as Float32Array);
  sigma1.forEach((s, d) => assert.ok(s > sigma0[d], `σ[${d}] ${sigma0[d]} → ${s}`));
  agent.dispose();
});

test("the value baseline learns E[G_t | s_t] and cuts the variance of the estimate", async () => {
  // Two-step MDP at the uniform start (policy frozen: a learning rate of 1e-12), γ = 0.9:
  //   E[G_0 | s0] = ½ · 0.6 + ½ · (1 + 0.9 · E[r | s1]),  E[r | s1] = ½ · 0 + ½ · 2 = 1, so E[G_0] = 1.25;  E[G_1 | s1] = 1.
  const N = 256;
  const { spec, settings, rollout } = await setUp(
    fixture("two-step-mdp.rl.ts"),
    { seed: 3, baseline: "value", gamma: 0.9, learningRate: 1e-12, value: { hidden: [8], learningRate: 0.05, stepsPerUpdate: 20 } },
    N,
  );
  const agent = new Reinforce(spec, settings);
  for (let u = 0; u < 40; u++) agent.update(rollout.collect(agent.policy, makeRng(`value/${u}`)) as EpisodeBatch);
  const v = (state: number) => {
    const x = new Float32Array(spec.featureDim);
    x[state] = 1;
    return agent.value?.net.predict(x, 1)[0] as number;
  };
  // V tracks the mean of G over the last batches: standard deviations of G_0 and G_1 are ≤ 1, so the
  // mean of a batch of N has a standard error ≤ 1/√N ≈ 0.06 (G_1 over about N/2 episodes: ≤ 0.09); 3 of them.
  assert.ok(Math.abs(v(0) - 1.25) < 3 * (1 / Math.sqrt(N)), `V(s0) = ${v(0)}, E[G_0] = 1.25`);
  assert.ok(Math.abs(v(1) - 1) < 3 * Math.sqrt(2 / N), `V(s1) = ${v(1)}, E[G_1 | s1] = 1`);

  const batch = rollout.collect(agent.policy, makeRng("value/fresh")) as EpisodeBatch;
  const { columns, moments } = agent.measure(batch);
  tf.dispose(moments.step);
  assert.ok(
    moments.traceCov[columns.stats] < 0.5 * moments.traceCov[columns.none],
    `traceCov with V ${moments.traceCov[columns.stats]}, without ${moments.traceCov[columns.none]}`,
  );
  agent.dispose();
});
