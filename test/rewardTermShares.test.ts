/**
 * Named reward terms add up to the reward, so their Ψ columns add up to the total's and,
 * g being linear in Ψ, so do their per-episode gradients: the last term's share of the
 * gradient variance is taken by difference, with no column of its own. Every share equals
 *
 *   share_k = Σ_i ⟨g_i^k − ḡ^k, g_i − ḡ⟩ / Σ_i ‖g_i − ḡ‖²
 *
 * computed here from each term's own return-to-go and the per-episode gradients as plain
 * vectors (gridworld's three terms), and a batch whose terms do not add up (a `reward`
 * export that returned a plain number on some steps) keeps every column.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadInProcess } from "../bench/harness";
import { describeEnvironment } from "../server/src/rl/envSpec";
import { concatBatches, type EpisodeBatch } from "../server/src/rl/episodeBatch";
import { episodeGradients, padBatch } from "../server/src/rl/episodeGradients";
import { flattenColumn } from "../server/src/rl/gradientPass";
import { Reinforce } from "../server/src/rl/reinforce";
import { minusLeaveOneOutMean, rewardToGo } from "../server/src/rl/returns";
import { LockstepRollout } from "../server/src/rl/rollout";
import { resolveSettings } from "../server/src/rl/settings";
import { makeRng } from "../server/src/runtime/index";
import { tf } from "../server/src/rl/tf";
import { BACKENDS, example } from "./helpers";

/** Each term's share of the total's spread, from the per-episode gradient vectors of explicit columns. */
function sharesByVectors(agent: Reinforce, batch: EpisodeBatch, baseline: "mean" | "none"): Record<string, number> {
  const gamma = agent.settings.gamma;
  const weigh = (G: Float64Array) => (baseline === "mean" ? minusLeaveOneOutMean(batch, G) : G);
  const total = weigh(rewardToGo(batch, gamma, new Float64Array(batch.rewards.length)));
  const names = [...batch.terms.keys()];
  const perTerm = names.map((name) => weigh(rewardToGo(batch, gamma, new Float64Array(batch.rewards.length), batch.terms.get(name))));
  const grads = episodeGradients(agent.policy, padBatch(batch, agent.spec, [total, ...perTerm]));
  const vectors = [total, ...perTerm].map((_, c) => flattenColumn(grads, c));
  tf.dispose(grads.tensors);
  const centred = vectors.map((g) => {
    const mean = g[0].map((_, k) => g.reduce((s, v) => s + v[k], 0) / g.length);
    return g.map((v) => v.map((x, k) => x - mean[k]));
  });
  const dot = (a: Float64Array[], b: Float64Array[]) => a.reduce((s, v, i) => s + v.reduce((t, x, k) => t + x * b[i][k], 0), 0);
  const spread = dot(centred[0], centred[0]);
  return Object.fromEntries(names.map((name, k) => [name, dot(centred[k + 1], centred[0]) / spread]));
}

for (const backend of BACKENDS)
  test(`each reward term's variance share, the last one by difference, equals the one computed from the per-episode gradients (${backend})`, async () => {
    const { user, guard } = await loadInProcess(example("gridworld.rl.ts"), backend);
    for (const baseline of ["mean", "none"] as const) {
      const settings = resolveSettings(user.training, { baseline });
      const spec = describeEnvironment(user.create());
      const agent = new Reinforce(spec, settings);
      const rollout = new LockstepRollout(user, spec, 32, 0, guard);
      const batch = concatBatches([
        rollout.collect(agent.policy, makeRng(`terms/${baseline}`)) as NonNullable<ReturnType<typeof rollout.collect>>,
      ]);
      assert.deepEqual([...batch.terms.keys()], ["goal", "progress", "stepCost"]);

      const { columns, moments, termShares } = agent.measure(batch, { terms: true });
      tf.dispose(moments.step);
      assert.deepEqual(
        columns.terms.map((t) => t.column === null),
        [false, false, true],
        "the last term has no column",
      );
      const expected = sharesByVectors(agent, batch, baseline);
      for (const name of ["goal", "progress", "stepCost"]) {
        const a = (termShares as Record<string, number>)[name];
        const b = expected[name];
        assert.ok(Math.abs(a - b) <= 1e-4 * Math.max(1, Math.abs(b)), `${baseline}: ${name} share ${a} measured, ${b} from the vectors`);
      }

      // Terms that do not add up to the reward on some row: every term keeps its column.
      batch.rewards[0] += 1;
      assert.ok(agent.weightColumns(batch, true).terms.every((t) => t.column !== null));
      agent.dispose();
    }
  });
