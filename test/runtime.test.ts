/** The `rl-playground` module environment files import: Gymnasium's spaces and seeding. */
import { test } from "node:test";
import assert from "node:assert/strict";
import { Box, Discrete, Environment, makeRng, spaceProblem } from "../server/src/runtime/index";

test("Discrete(n, start) contains its integers and samples them uniformly", () => {
  const d = new Discrete(3, 1);
  assert.ok(d.contains(1) && d.contains(3));
  assert.ok(!d.contains(0) && !d.contains(4) && !d.contains(1.5) && !d.contains("1"));
  const rng = makeRng(0);
  const counts = [0, 0, 0];
  for (let i = 0; i < 3000; i++) counts[d.sample(rng) - 1]++;
  // Each count is Binomial(3000, 1/3): sd ≈ 25.8; 5 sd around 1000.
  for (const c of counts) assert.ok(Math.abs(c - 1000) < 130, String(counts));
});

test("Box(low, high) checks length, bounds and type; samples inside its bounds", () => {
  const b = new Box([-1, 0], [1, Infinity]);
  assert.ok(b.contains([0, 5]));
  assert.ok(!b.contains([0]) && !b.contains([2, 0]) && !b.contains([0, -1]) && !b.contains([NaN, 0]) && !b.contains("ab"));
  const rng = makeRng(1);
  for (let i = 0; i < 200; i++) assert.ok(b.contains(b.sample(rng)));
  assert.deepEqual(new Box(-2, 2, 3).high, [2, 2, 2]);
});

test("malformed spaces are reported, not thrown", () => {
  assert.match(spaceProblem(new Discrete(0)) ?? "", /n >= 1/);
  assert.match(spaceProblem(new Box([1], [0])) ?? "", /greater than high/);
  assert.match(spaceProblem(new Box([0, 0], [1])) ?? "", /2 entries but high has 1/);
  assert.match(spaceProblem({ n: 2 }) ?? "", /Discrete or a Box/);
  assert.equal(spaceProblem(new Box([0], [1])), undefined);
});

test("reset(seed) restarts this.rng: same seed, same stream; another seed, another stream", () => {
  class Coin extends Environment<number, number> {
    observationSpace = new Discrete(1);
    actionSpace = new Discrete(2);
    reset(seed?: number): [number, Record<string, unknown>] {
      super.reset(seed);
      return [0, {}];
    }
    step(): [number, number, boolean, boolean, Record<string, unknown>] {
      return [0, this.rng(), true, false, {}];
    }
  }
  const env = new Coin();
  const draws = (seed?: number) => {
    env.reset(seed);
    return [env.step()[1], env.step()[1]];
  };
  const a = draws(42);
  assert.deepEqual(draws(42), a);
  assert.notDeepEqual(draws(43), a);
  // Without a seed the stream continues.
  env.reset(42);
  env.step();
  env.step();
  assert.notDeepEqual(draws(), a);
});
