/**
 * Named reward terms add up to the reward, so their Ψ columns add up to the total's and,
 * g being linear in Ψ, so do their per-episode gradients: the last term's share of the
 * gradient variance is taken by difference, with no column of its own. It equals the share
 * measured with its own column (gridworld's three terms), and a batch whose terms do not add
 * up (a `reward` export that returned a plain number on some steps) keeps every column.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadInProcess } from "../bench/harness";
import { describeEnvironment } from "../server/src/rl/envSpec";
import { Reinforce } from "../server/src/rl/reinforce";
import { LockstepRollout, concatBatches } from "../server/src/rl/rollout";
import { resolveSettings } from "../server/src/rl/settings";
import { makeRng } from "../server/src/runtime/index";
import { tf } from "../server/src/rl/tf";
import { BACKENDS, example } from "./helpers";

for (const backend of BACKENDS)
  test(`the last reward term's variance share, by difference, equals the one measured with its own column (${backend})`, async () => {
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

      const derived = agent.measure(batch, { terms: true });
      const explicit = agent.measure(batch, { terms: true, deriveLastTerm: false });
      tf.dispose([...derived.moments.step, ...explicit.moments.step]);
      assert.deepEqual(
        derived.columns.terms.map((t) => t.column === null),
        [false, false, true],
        "the last term has no column",
      );
      assert.equal(derived.columns.columns.length + 1, explicit.columns.columns.length);
      for (const name of ["goal", "progress", "stepCost"]) {
        const a = (derived.termShares as Record<string, number>)[name];
        const b = (explicit.termShares as Record<string, number>)[name];
        assert.ok(Math.abs(a - b) <= 1e-6 * Math.max(1, Math.abs(b)), `${baseline}: ${name} share ${a} by difference, ${b} measured`);
      }
      assert.equal(derived.gradient.traceCov, explicit.gradient.traceCov);

      // Terms that do not add up to the reward on some row: every term keeps its column.
      batch.rewards[0] += 1;
      assert.ok(agent.weightColumns(batch, true).terms.every((t) => t.column !== null));
      agent.dispose();
    }
  });
