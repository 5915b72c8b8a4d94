/**
 * The policy's forward pass on the host (`Mlp.predictOnHost`, what a rollout's small batches
 * use) against the tensor forward pass: the same outputs for relu and tanh nets, with and
 * without hidden layers, on one-hot and dense rows; and after the variables are assigned (an
 * optimiser step, a loaded policy) it follows the new values, never a stale copy.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { selectBackend } from "../server/src/rl/backend";
import { HOST_FORWARD_MAX_MULTIPLY_ADDS, Mlp, type Activation } from "../server/src/rl/mlp";
import { makeRng } from "../server/src/runtime/index";
import { tf } from "../server/src/rl/tf";
import { BACKENDS } from "./helpers";

const ROWS = 6;

function randomize(net: Mlp, seed: string): void {
  const rng = makeRng(seed);
  for (const v of net.variables())
    v.assign(
      tf.tensor(
        Float32Array.from({ length: v.size }, () => 2 * rng() - 1),
        v.shape,
      ),
    );
}

function rows(dim: number, oneHot: boolean, seed: string): Float32Array {
  const rng = makeRng(seed);
  const x = new Float32Array(ROWS * dim);
  for (let r = 0; r < ROWS; r++)
    if (oneHot) x[r * dim + Math.floor(rng() * dim)] = 1;
    else for (let k = 0; k < dim; k++) x[r * dim + k] = 4 * rng() - 2;
  return x;
}

function assertClose(host: Float32Array, device: Float32Array, what: string): void {
  assert.equal(host.length, device.length);
  host.forEach((v, k) =>
    assert.ok(Math.abs(v - device[k]) <= 1e-5 * Math.max(1, Math.abs(device[k])), `${what} [${k}]: ${v} vs ${device[k]}`),
  );
}

const CASES: { hidden: number[]; activation: Activation; oneHot: boolean }[] = [
  { hidden: [], activation: "relu", oneHot: false },
  { hidden: [7], activation: "relu", oneHot: true },
  { hidden: [7], activation: "relu", oneHot: false },
  { hidden: [5, 4], activation: "tanh", oneHot: false },
];

for (const backend of BACKENDS)
  test(`the host forward pass equals the tensor one, and follows assigned weights (${backend})`, async () => {
    await selectBackend(backend);
    for (const c of CASES) {
      const what = `hidden ${JSON.stringify(c.hidden)} ${c.activation}${c.oneHot ? " one-hot" : ""}`;
      const net = new Mlp(9, c.hidden, 3, c.activation, `host/${what}`);
      assert.ok(ROWS * net.multiplyAdds <= HOST_FORWARD_MAX_MULTIPLY_ADDS, "predict takes the host path here");
      const x = rows(9, c.oneHot, what);
      const device = () => tf.tidy(() => net.forward(tf.tensor2d(x, [ROWS, 9])).dataSync() as Float32Array);
      randomize(net, `${what}/1`);
      assertClose(net.predict(x, ROWS), device(), what);
      randomize(net, `${what}/2`);
      assertClose(net.predict(x, ROWS), device(), `${what}, after an assign`);
      net.dispose();
    }
  });
