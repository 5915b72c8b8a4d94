/**
 * The value baseline's explained variance, 1 − Var(G − V)/Var(G): on a batch laid out with
 * padding (only the real rows count) against the formula computed over a flat list another way,
 * and in training: reported at every update with `baseline: "value"` (0 at the first, where V
 * is still the zero function), absent with the other baselines.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { loadInProcess } from "../bench/harness";
import type { UpdateMetrics } from "../server/src/protocol";
import { explainedVariance } from "../server/src/rl/explainedVariance";
import type { EpisodeBatch } from "../server/src/rl/episodeBatch";
import { train } from "../server/src/rl/train";
import { fixture } from "./helpers";

/** A batch of three episodes of lengths 2, 4 and 1 in rows of stride 4; padding rows hold NaN. */
function paddedBatch(): EpisodeBatch {
  const stride = 4;
  const lengths = Int32Array.from([2, 4, 1]);
  const rows = lengths.length * stride;
  return {
    n: lengths.length,
    stride,
    lengths,
    features: new Float32Array(rows),
    actionIndex: new Int32Array(rows),
    actionValue: new Float32Array(0),
    rewards: new Float64Array(rows),
    terms: new Map(),
    terminated: new Uint8Array(lengths.length),
    entropySum: 0,
  };
}

/** Values at the real rows (in episode order), NaN at the padding. */
function laidOut(batch: EpisodeBatch, values: number[]): Float64Array {
  const out = new Float64Array(batch.n * batch.stride).fill(NaN);
  let k = 0;
  for (let i = 0; i < batch.n; i++) for (let t = 0; t < batch.lengths[i]; t++) out[i * batch.stride + t] = values[k++];
  return out;
}

/** Var as E[x²] − E[x]² over a flat list (the module takes squared deviations instead). */
function variance(xs: number[]): number {
  const m = xs.reduce((s, x) => s + x, 0) / xs.length;
  return xs.reduce((s, x) => s + x * x, 0) / xs.length - m * m;
}

test("explained variance over the real rows only, against the formula on a flat list", () => {
  const batch = paddedBatch();
  const G = [3, 2.5, 4, 3, 1.5, 0.5, -1];
  const V = [2, 2, 3.5, 2, 1, 1, 0];
  const expected = 1 - variance(G.map((g, k) => g - V[k])) / variance(G);
  const got = explainedVariance(batch, laidOut(batch, G), laidOut(batch, V));
  assert.ok(got !== null && Math.abs(got - expected) < 1e-12, `${got} vs ${expected}`);
  assert.ok(expected > 0 && expected < 1, "a case in between, not a boundary");

  assert.equal(explainedVariance(batch, laidOut(batch, G), laidOut(batch, G)), 1, "V = G explains everything");
  assert.ok(
    Math.abs(
      (explainedVariance(
        batch,
        laidOut(batch, G),
        laidOut(
          batch,
          G.map(() => 7),
        ),
      ) ?? NaN) - 0,
    ) < 1e-12,
    "a constant V explains nothing",
  );
  const worse = explainedVariance(
    batch,
    laidOut(batch, G),
    laidOut(
      batch,
      G.map((g) => -g),
    ),
  );
  assert.ok(worse !== null && worse < 0, "a V that adds noise is negative");
  assert.equal(
    explainedVariance(
      batch,
      laidOut(
        batch,
        G.map(() => 2),
      ),
      laidOut(batch, V),
    ),
    null,
    "undefined when G is constant",
  );
});

async function trainWith(baseline: "value" | "mean"): Promise<UpdateMetrics[]> {
  const { user, guard } = await loadInProcess(fixture("training-float32-overflow.rl.ts"), "cpu");
  const updates: UpdateMetrics[] = [];
  await train(user, guard, {
    overrides: { baseline, episodesPerUpdate: 16, maxEpisodes: 96, policy: { hidden: [], activation: "relu" } },
    backend: "cpu",
    runDir: null,
    onProgress: (m) => updates.push(m),
  });
  return updates;
}

test('training with baseline "value" reports the explained variance at every update; other baselines do not', async () => {
  const value = await trainWith("value");
  assert.equal(value.length, 6);
  for (const m of value)
    assert.ok(typeof m.explainedVariance === "number" && m.explainedVariance <= 1, JSON.stringify(m.explainedVariance));
  // V starts as the zero function (its last layer is zero): G − V = G, nothing explained.
  assert.ok(Math.abs(value[0].explainedVariance as number) < 1e-9, `first update ${value[0].explainedVariance}`);
  // Fitted after each update, V explains some of the returns-to-go later on.
  assert.ok((value.at(-1)?.explainedVariance as number) > 0, JSON.stringify(value.map((m) => m.explainedVariance)));

  const mean = await trainWith("mean");
  for (const m of mean) assert.equal("explainedVariance" in m, false);
});
