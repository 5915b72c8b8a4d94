/**
 * Cost of an update that computes the gradient statistics (per-episode gradients in one
 * pass, then their mean as the step) against a plain autodiff REINFORCE update on the
 * same batch: CartPole episodes of a trained policy, 16 × up to 500 steps.
 */
import { loadInProcess } from "./harness";
import { tf } from "../server/src/rl/tf";
import { describeEnvironment } from "../server/src/rl/envSpec";
import { LockstepRollout } from "../server/src/rl/rollout";
import { Reinforce } from "../server/src/rl/reinforce";
import { padBatch } from "../server/src/rl/episodeGradients";
import { resolveSettings } from "../server/src/rl/settings";
import { makeRng } from "../server/src/runtime/index";

async function main() {
  const [file, backend] = process.argv.slice(2);
  const { user, guard } = await loadInProcess(file, backend as "wasm");
  const settings = resolveSettings(user.training, { seed: 0 });
  const first = user.create();
  const spec = describeEnvironment(first);
  const rollout = new LockstepRollout(user, spec, settings.episodesPerUpdate, 0, guard, first);
  const agent = new Reinforce(spec, settings);
  const rng = makeRng(0);
  for (let u = 0; u < 40; u++) agent.update(rollout.collect(agent.policy, rng)!);
  const batch = rollout.collect(agent.policy, rng)!;
  const optimizer = tf.train.adam(1e-9);
  const plain = () => {
    // ĝ = ∇θ (1/N) Σ_i Σ_t Ψ_t log π(a_t|s_t) by autodiff, then the same Adam step.
    const cols = agent.weightColumns(batch);
    const p = padBatch(batch, spec, [cols.columns[cols.step]]);
    const M = p.n * p.T;
    tf.tidy(() => {
      const x = tf.tensor2d(p.features, [M, spec.featureDim]);
      const a = tf.tensor2d(p.actions, [M, spec.actionDim]);
      const w = tf.tensor1d(p.weights);
      const { grads } = tf.variableGrads(
        () => tf.neg(tf.div(tf.sum(tf.mul(tf.sum(tf.mul(tf.logSoftmax(agent.policy.net.forward(x)), a), 1), w)), p.n)) as tf.Scalar,
        agent.policy.variables(),
      );
      optimizer.applyGradients(grads as Record<string, tf.Variable>);
    });
    agent.policy.variables()[0].dataSync();
  };
  const withStats = () => {
    agent.update(batch);
    agent.policy.variables()[0].dataSync();
  };
  const time = (f: () => void, reps = 30) => {
    for (let k = 0; k < 5; k++) f();
    const samples: number[] = [];
    for (let k = 0; k < reps; k++) {
      const t0 = performance.now();
      f();
      samples.push(performance.now() - t0);
    }
    samples.sort((x, y) => x - y);
    return samples[Math.floor(reps / 2)];
  };
  const plainMs = time(plain);
  const statsMs = time(withStats);
  console.log(JSON.stringify({ plainMs, statsMs, ratio: statsMs / plainMs, rows: batch.lengths.reduce((s, l) => s + l, 0) }));
}
main();
