/**
 * "Exact" is exact or absent; `reward-action-independent` does not fire on a weak but
 * real dependence; every statistic of `check` states the N it refers to.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { checkEnvironment } from "../server/src/api";
import { loadInProcess } from "../bench/harness";
import { INDEPENDENCE_PAIRS, testActionIndependence } from "../server/src/rl/actionIndependence";
import { describeEnvironment } from "../server/src/rl/envSpec";
import { REPLAYS_PER_ACTION, enumerate } from "../server/src/rl/exact";
import { example, fixture } from "./helpers";

test("a Bernoulli bandit (0.3/0.7) gets no exact gradient: one draw per arm is not its reward", async () => {
  // At the uniform start of a linear softmax on one state, ∇J = π ⊙ (f − J) for W and again for b,
  // with f = (0.3, 0.7) the expected rewards: (−0.1, 0.1) twice, so ‖∇J‖² = 0.04.
  const r = await checkEnvironment(fixture("bernoulli-bandit.rl.ts"), { backend: "cpu", episodes: 4000, settings: { seed: 0 } });
  assert.ok(r.stats, JSON.stringify(r.diagnostics));
  if (r.stats.exact !== null)
    assert.ok(Math.abs(r.stats.exact.gradNormSq - 0.04) < 1e-6, `exact ‖∇J‖² ${r.stats.exact.gradNormSq}, true 0.04`);
  assert.equal(r.stats.exact, null);
  // The Monte-Carlo estimate agrees with the truth: the standard error of gradNormSq at N = 4000 is about
  // √(4·0.04·tc/N) with tc ≈ 0.5, so 0.004; 5 of them.
  assert.ok(Math.abs(r.stats.gradient.gradNormSq - 0.04) < 0.02, `Monte-Carlo ‖∇J‖² ${r.stats.gradient.gradNormSq}`);
});

test("the enumeration replays each action under many seeds and keeps deterministic rewards", async () => {
  const { user } = await loadInProcess(example("bandit.rl.ts"), "cpu");
  const e = enumerate(user, describeEnvironment(user.create()));
  assert.ok(e);
  assert.deepEqual(e.rewards, [0.2, 0.5, 1.0, 0.1]);
  assert.equal(e.replaysPerAction, REPLAYS_PER_ACTION);
  // The bound the file comment states: a reward whose commonest value has probability 0.8 slips through with < 10⁻³.
  assert.ok(0.8 ** (REPLAYS_PER_ACTION - 1) < 1e-3);
  const { user: noisy } = await loadInProcess(fixture("bernoulli-bandit.rl.ts"), "cpu");
  assert.equal(enumerate(noisy, describeEnvironment(noisy.create())), null);
});

test("arms paying 1 with probability 0.9 and 0.95 are not called action-independent", async () => {
  // The coupled replays differ in a pair with probability δ = 0.05 (same this.rng() draw u, differing iff
  // 0.9 ≤ u < 0.95); all pairs agree with probability (1 − δ)^pairs, which the test's pair count bounds.
  assert.ok(0.95 ** INDEPENDENCE_PAIRS < 1e-3);
  const { user } = await loadInProcess(fixture("weak-action-dependence.rl.ts"), "cpu");
  const result = testActionIndependence(user, describeEnvironment(user.create()), { kind: "discrete", probabilities: [0.5, 0.5] });
  assert.equal(result.independent, false);

  const r = await checkEnvironment(fixture("weak-action-dependence.rl.ts"), { backend: "cpu", episodes: 512 });
  const codes = r.diagnostics.map((d) => d.code);
  assert.ok(!codes.includes("reward-action-independent"), JSON.stringify(r.diagnostics));
  // The weak signal is drowned in noise at 16 episodes per update: that is the warning it deserves.
  assert.ok(codes.includes("gradient-noise"), JSON.stringify(r.diagnostics));
});

test("reward-action-independent still fires on returns that ignore the actions, and says what was compared", async () => {
  const r = await checkEnvironment(fixture("reward-action-independent.rl.ts"), { backend: "cpu", episodes: 256 });
  const d = r.diagnostics.find((x) => x.code === "reward-action-independent");
  assert.ok(d, JSON.stringify(r.diagnostics));
  assert.match(d.message, new RegExp(`${INDEPENDENCE_PAIRS} pairs of episodes`));
  assert.match(d.message, /same seed/);
  assert.match(d.message, /different action at every step/);
});

test("every statistic of check states its N: the probe's for the gradient, episodesPerUpdate for the update's SNR", async () => {
  const r = await checkEnvironment(example("bandit.rl.ts"), {
    backend: "cpu",
    episodes: 300,
    settings: { episodesPerUpdate: 12, baseline: "mean" },
  });
  assert.ok(r.stats && r.summary);
  const s = r.stats;
  const exact = s.exact;
  assert.ok(exact);
  assert.equal(s.episodes, 300);
  assert.equal(s.gradient.episodes, 300);
  // The exact traceCov is stated for the batches the probe forms: episodesPerUpdate episodes, as training does.
  assert.equal(exact.episodes, 12);
  assert.equal(r.summary.episodes, 300);
  assert.equal(s.atEpisodesPerUpdate.episodes, 12);
  const { snrInterval: _snr, noiseScaleInterval: _noise, ...summaryAt } = r.summary.atEpisodesPerUpdate;
  assert.deepEqual(summaryAt, s.atEpisodesPerUpdate);
  // snr at N = N / noiseScale: the same measurement stated at the probe's N and at one update's N.
  const g = s.gradient;
  assert.ok(g.snr !== null && g.noiseScale !== null && s.atEpisodesPerUpdate.snr !== null);
  assert.ok(Math.abs(g.snr - 300 / g.noiseScale) < 1e-9 * g.snr);
  assert.ok(Math.abs(s.atEpisodesPerUpdate.snr - 12 / g.noiseScale) < 1e-9 * g.snr);
  assert.equal(s.atEpisodesPerUpdate.noiseScale, g.noiseScale);
  // The exact traceCov of the leave-one-out baseline at N = 12 is what the Monte-Carlo traceCov estimates: within 4 standard errors.
  const interval = s.confidence.traceCov;
  assert.ok(interval);
  const halfWidth = (interval[1] - interval[0]) / 2;
  assert.ok(Math.abs(g.traceCov - exact.traceCov) < 2 * halfWidth, `Monte-Carlo ${g.traceCov} ± ${halfWidth}, exact ${exact.traceCov}`);
});
