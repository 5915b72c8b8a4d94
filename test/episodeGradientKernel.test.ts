/**
 * The per-episode gradient kernel against plain autodiff: for every episode i,
 *   g_i = ∇θ Σ_t log πθ(a_t|s_t) Ψ_t
 * by tf.variableGrads of that sum (one backward pass per episode, log π written out here
 * from its definition), for categorical and Gaussian policies (log σ included), with and
 * without hidden layers (relu and tanh), on ragged episodes. Then the chunked pass: its
 * moments (ĝ, traceCov, cross terms) equal those of the explicit vectors, however small
 * the chunks (whole episodes and windows of one episode's steps). Both kernels: tensor ops
 * on the device, and the host's loops (`hostGradients.ts`) that wasm and cpu use.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { selectBackend } from "../server/src/rl/backend";
import type { EnvSpec } from "../server/src/rl/envSpec";
import { episodeGradients, padBatch } from "../server/src/rl/episodeGradients";
import { flattenColumn } from "../server/src/rl/gradientPass";
import type { KernelPlace } from "../server/src/rl/gradientMoments";
import { chunkPlan, gradientPass } from "../server/src/rl/gradientPass";
import { hostEpisodeGradients } from "../server/src/rl/hostGradients";
import { vectorMoments } from "../server/src/rl/gradientStats";
import type { Activation } from "../server/src/rl/mlp";
import { Policy } from "../server/src/rl/policy";
import type { EpisodeBatch } from "../server/src/rl/episodeBatch";
import { makeRng } from "../server/src/runtime/index";
import { tf } from "../server/src/rl/tf";
import { BACKENDS } from "./helpers";

const F = 3;
const STRIDE = 7;
const LENGTHS = [5, 1, 7, 3, 2, 6];

function specOf(kind: "discrete" | "box"): EnvSpec {
  const obs = {
    kind: "box" as const,
    dim: F,
    low: new Float64Array(F).fill(-Infinity),
    high: new Float64Array(F).fill(Infinity),
    low32: new Float32Array(F).fill(-Infinity),
    high32: new Float32Array(F).fill(Infinity),
  };
  const action =
    kind === "discrete"
      ? { kind: "discrete" as const, n: 3, start: 0 }
      : { kind: "box" as const, dim: 2, low: new Float64Array(2).fill(-1), high: new Float64Array(2).fill(1) };
  return {
    observation: obs,
    featureDim: F,
    action,
    actionDim: kind === "discrete" ? 3 : 2,
    maxEpisodeSteps: STRIDE,
    rewardThreshold: null,
  };
}

/** A ragged batch of random features, actions and two random weight columns. */
function randomBatch(spec: EnvSpec, seed: string): { batch: EpisodeBatch; columns: Float64Array[] } {
  const rng = makeRng(seed);
  const n = LENGTHS.length;
  const rows = n * STRIDE;
  const A = spec.actionDim;
  const batch: EpisodeBatch = {
    n,
    stride: STRIDE,
    lengths: Int32Array.from(LENGTHS),
    features: Float32Array.from({ length: rows * F }, () => 2 * rng() - 1),
    actionIndex: Int32Array.from({ length: spec.action.kind === "discrete" ? rows : 0 }, () => Math.floor(rng() * A)),
    actionValue: Float32Array.from({ length: spec.action.kind === "box" ? rows * A : 0 }, () => 2 * rng() - 1),
    rewards: new Float64Array(rows),
    terms: new Map(),
    terminated: new Uint8Array(n),
    entropySum: 0,
  };
  const column = () =>
    Float64Array.from({ length: rows }, (_, row) => (row % STRIDE < LENGTHS[Math.floor(row / STRIDE)] ? 4 * rng() - 2 : 0));
  return { batch, columns: [column(), column()] };
}

/** Every variable set to random values (the last layer starts at zero, which would hide mistakes). */
function randomize(policy: Policy, seed: string): void {
  const rng = makeRng(seed);
  for (const v of policy.variables())
    v.assign(
      tf.tensor(
        Float32Array.from({ length: v.size }, () => rng() - 0.5),
        v.shape,
      ),
    );
}

/** log π(a_t|s_t) of each step of episode i, from the definitions (not the kernel's δ). */
function logProbs(policy: Policy, spec: EnvSpec, batch: EpisodeBatch, i: number): tf.Tensor1D {
  const len = batch.lengths[i];
  const from = i * batch.stride;
  const x = tf.tensor2d(batch.features.subarray(from * F, (from + len) * F), [len, F]);
  const out = policy.net.forward(x);
  if (spec.action.kind === "discrete") {
    const onehot = tf.oneHot(tf.tensor1d(batch.actionIndex.subarray(from, from + len), "int32"), spec.actionDim);
    return tf.sum(tf.mul(tf.logSoftmax(out), onehot), 1);
  }
  // Diagonal Gaussian: Σ_d −½((a − μ)/σ)² − log σ − ½ log 2π.
  const A = spec.actionDim;
  const a = tf.tensor2d(batch.actionValue.subarray(from * A, (from + len) * A), [len, A]);
  const logStd = policy.logStd as tf.Variable;
  const z = tf.div(tf.sub(a, out), tf.exp(logStd));
  return tf.sum(tf.sub(tf.sub(tf.mul(-0.5, tf.square(z)), logStd), 0.5 * Math.log(2 * Math.PI)), 1);
}

/** g_i by autodiff, flattened in `Policy.variables` order. */
function autodiffGradient(policy: Policy, spec: EnvSpec, batch: EpisodeBatch, psi: Float64Array, i: number): Float64Array {
  const vars = policy.variables();
  const from = i * batch.stride;
  const weights = Float32Array.from(psi.subarray(from, from + batch.lengths[i]));
  const { value, grads } = tf.variableGrads(
    () => tf.sum(tf.mul(logProbs(policy, spec, batch, i), tf.tensor1d(weights))) as tf.Scalar,
    vars,
  );
  const flat = vars.flatMap((v) => Array.from(grads[v.name].dataSync()));
  tf.dispose([value, ...Object.values(grads)]);
  return Float64Array.from(flat);
}

const CASES: { kind: "discrete" | "box"; hidden: number[]; activation: Activation }[] = [
  { kind: "discrete", hidden: [], activation: "relu" },
  { kind: "discrete", hidden: [5, 4], activation: "tanh" },
  { kind: "discrete", hidden: [6], activation: "relu" },
  { kind: "box", hidden: [], activation: "tanh" },
  { kind: "box", hidden: [5, 4], activation: "tanh" },
  { kind: "box", hidden: [6], activation: "relu" },
];

for (const backend of BACKENDS)
  for (const c of CASES)
    test(`per-episode gradients equal tf.variableGrads of Σ_t log π(a_t|s_t) Ψ_t (${c.kind}, hidden ${JSON.stringify(c.hidden)} ${c.activation}, ragged, ${backend})`, async () => {
      await selectBackend(backend);
      const spec = specOf(c.kind);
      const policy = new Policy(spec, c.hidden, c.activation, 3);
      randomize(policy, `vars/${c.kind}/${c.hidden}`);
      const { batch, columns } = randomBatch(spec, `batch/${c.kind}/${c.hidden}`);
      const before = tf.memory().numTensors;

      const grads = episodeGradients(policy, padBatch(batch, spec, columns));
      const onHost = hostEpisodeGradients(policy, padBatch(batch, spec, columns));
      for (let col = 0; col < columns.length; col++) {
        for (const [place, kernel] of [
          ["device", flattenColumn(grads, col)],
          ["host", flattenColumn(onHost, col)],
        ] as const)
          for (let i = 0; i < batch.n; i++) {
            const reference = autodiffGradient(policy, spec, batch, columns[col], i);
            assert.equal(kernel[i].length, reference.length);
            const scale = Math.max(...reference.map(Math.abs), 1e-3);
            reference.forEach((r, k) =>
              assert.ok(
                Math.abs(kernel[i][k] - r) <= 1e-4 * scale,
                `${place}: episode ${i} column ${col} parameter ${k}: kernel ${kernel[i][k]}, autodiff ${r}`,
              ),
            );
          }
      }
      tf.dispose(grads.tensors);

      // The chunked pass: the same moments whatever the chunk size (1 chunk; episode chunks; windows of steps).
      const explicit = columns.map((_, col) => {
        const g = episodeGradients(policy, padBatch(batch, spec, columns));
        const vectors = flattenColumn(g, col);
        tf.dispose(g.tensors);
        return vectors;
      });
      const m = explicit.map((v) => vectorMoments(v));
      const cross01 = explicit[0].reduce(
        (s, g0, i) => s + g0.reduce((q, v, k) => q + (v - m[0].mean[k]) * (explicit[1][i][k] - m[1].mean[k]), 0),
        0,
      );
      const perRowish = 40;
      const runs = [undefined, 8 * perRowish, 2 * perRowish].flatMap((budget) =>
        (["device", "host"] as KernelPlace[]).map((kernel) => ({ budget, kernel })),
      );
      for (const { budget, kernel } of runs) {
        if (budget !== undefined) assert.ok(chunkPlan(batch, policy, 2, budget).length > 1, "the small budget makes several chunks");
        const pass = gradientPass(policy, spec, batch, columns, {
          stepColumn: 1,
          reference: 0,
          deviationsOf: 0,
          chunkElements: budget,
          kernel,
        });
        const step = Float64Array.from(pass.step.flatMap((t) => Array.from(t.dataSync())));
        tf.dispose(pass.step);
        const close = (a: number, b: number, what: string) =>
          assert.ok(Math.abs(a - b) <= 1e-4 * Math.max(Math.abs(b), 1e-3), `${what} (${kernel}, budget ${budget}): ${a} vs ${b}`);
        for (let col = 0; col < 2; col++) {
          close(pass.traceCov[col], m[col].traceCov, `traceCov of column ${col}`);
          close(pass.meanNormSq[col], m[col].meanNormSq, `‖ĝ‖² of column ${col}`);
        }
        close((pass.cross as number[])[1], cross01, "cross term");
        close((pass.cross as number[])[0], m[0].traceCov * (batch.n - 1), "cross term with itself");
        step.forEach((v, k) => close(v, m[1].mean[k], `ĝ[${k}]`));
        assert.equal(pass.deviations?.length, batch.n);
        // In one chunk the deviations are ‖g_i − ĝ‖² of the asked column.
        if (budget === undefined)
          explicit[0].forEach((g, i) => {
            const d = g.reduce((q, v, k) => q + (v - m[0].mean[k]) ** 2, 0);
            close((pass.deviations as Float64Array)[i], d, `deviation of episode ${i}`);
          });
      }
      assert.equal(tf.memory().numTensors, before, "no tensor leaks");
      policy.dispose();
    });
