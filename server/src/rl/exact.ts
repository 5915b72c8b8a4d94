/**
 * The exact gradient by enumeration, for environments where every outcome can be listed:
 * a Discrete action space, one-step episodes, a single start state and a reward that is
 * a function of the action. Then, with f(a) the reward of action a (the seed's first formula),
 *
 *   ∇J = Σ_a f(a) ∇π(a|s₀) = Σ_a π(a|s₀) f(a) ∇log π(a|s₀)
 *
 * and the variance of a one-episode estimate g = Ψ(a) s(a), s(a) = ∇log π(a|s₀), is
 *
 *   traceCov = Σ_a π(a) E[Ψ(a)²] ‖s(a)‖² − ‖∇J‖²
 *
 * With no baseline Ψ(a) = f(a). With the leave-one-out mean of a batch of N, Ψ(a) = f(a) − b
 * with b the mean of N − 1 independent rewards: E[b] = J and Var b = σ²/(N − 1), σ² = Var_π f,
 * so E[Ψ(a)²] = (f(a) − J)² + σ²/(N − 1) (and Ψ = f when N = 1: no other episode).
 *
 * "Exact" must be exact: the reward is enumerated only when replaying every action under
 * REPLAYS_PER_ACTION different seeds always gives the same reward and the same start state,
 * and when step and reward drew nothing from this.rng() or Math.random() in any replay: a
 * reward that draws is random even when its rare outcome (a 1% jackpot) never came up in
 * 32 replays. The probe also checks the Monte-Carlo traceCov against the exact one (design
 * §3). Otherwise the exact values are absent (null).
 */
import type { BaselineKind, ExactGradient } from "../protocol";
import type { EnvSpec } from "./envSpec";
import { episodeGradients, padBatch } from "./episodeGradients";
import { flattenColumn } from "./gradientPass";
import { vectorMoments } from "./gradientStats";
import type { Policy } from "./policy";
import { replayEpisode } from "./replay";
import type { EpisodeBatch } from "./episodeBatch";
import { tf } from "./tf";
import type { CpuTimeBudget } from "./timeBound";
import type { UserEnvironmentModule } from "./userCode";

export const REPLAYS_PER_ACTION = 32;
/** Beyond this many actions the enumeration costs more than it tells. */
export const MAX_ENUMERATED_ACTIONS = 256;

export interface Enumeration {
  /** Features of the single start state. */
  start: Float32Array;
  /** f(a) for every action index. */
  rewards: number[];
  replaysPerAction: number;
}

/**
 * An enumeration when the environment allows one (see the file comment), else null; also
 * null when the probe's CPU-time bound is spent first.
 */
export function enumerate(user: UserEnvironmentModule, spec: EnvSpec, budget?: CpuTimeBudget): Enumeration | null {
  const act = spec.action;
  if (act.kind !== "discrete" || spec.maxEpisodeSteps !== 1 || act.n > MAX_ENUMERATED_ACTIONS) return null;
  const env = user.create();
  const draws = countDrawsAfterReset(env);
  let start: Float32Array | null = null;
  const rewards: number[] = [];
  try {
    for (let a = 0; a < act.n; a++) {
      let reward: number | null = null;
      for (let seed = 0; seed < REPLAYS_PER_ACTION; seed++) {
        if (budget?.exhausted) return null;
        const replay = replayEpisode(user, env, spec, seed, [act.start + a], draws);
        // One start state whatever the seed, one reward per action whatever the seed, and no random draw after the reset.
        start ??= replay.start;
        if (replay.start.some((v, k) => v !== (start as Float32Array)[k])) return null;
        if (reward !== null && replay.rewards[0] !== reward) return null;
        if (draws.count > 0) return null;
        reward = replay.rewards[0];
      }
      rewards.push(reward as number);
    }
  } finally {
    draws.restore();
  }
  if (!start) return null;
  return { start, rewards, replaysPerAction: REPLAYS_PER_ACTION };
}

/**
 * Counts draws from the environment's this.rng() and from Math.random() made after each
 * reset (in step and the reward export), while the enumeration replays.
 */
function countDrawsAfterReset(env: { rng: () => number }): { count: number; beforeReset(): void; afterReset(): void; restore(): void } {
  const random = Math.random;
  let armed = false;
  const state = {
    count: 0,
    beforeReset: () => {
      armed = false;
    },
    afterReset: () => {
      armed = true;
      // reset(seed) may replace the generator (super.reset reseeds it): wrap the one step will use.
      const rng = env.rng;
      if (!(rng as { counted?: boolean }).counted) {
        const counted = Object.assign(
          function (this: unknown) {
            if (armed) state.count++;
            return rng.call(env);
          },
          { counted: true },
        );
        env.rng = counted;
      }
    },
    restore: () => {
      Math.random = random;
      armed = false;
    },
  };
  Math.random = () => {
    if (armed) state.count++;
    return random();
  };
  return state;
}

/** ∇J, ‖∇J‖² and the traceCov of a one-episode estimate in a batch of `episodes`, exactly. */
export function exactGradient(
  policy: Policy,
  spec: EnvSpec,
  e: Enumeration,
  baseline: BaselineKind,
  episodes: number,
): ExactGradient & { gradient: Float64Array } {
  const K = e.rewards.length;
  const logits = policy.predict(e.start, 1);
  const max = Math.max(...logits);
  const z = Array.from(logits, (l) => Math.exp(l - max));
  const total = z.reduce((s, v) => s + v, 0);
  const pi = z.map((v) => v / total);
  const J = pi.reduce((s, p, a) => s + p * e.rewards[a], 0);
  const variance = pi.reduce((s, p, a) => s + p * (e.rewards[a] - J) ** 2, 0);

  // K one-step "episodes", one per action, weighted by Ψ(a) = f(a) − J (mean) or f(a), and by 1 (the score s(a)).
  const batch: EpisodeBatch = {
    n: K,
    stride: 1,
    lengths: new Int32Array(K).fill(1),
    features: new Float32Array(K * spec.featureDim),
    actionIndex: Int32Array.from({ length: K }, (_, a) => a),
    actionValue: new Float32Array(0),
    rewards: Float64Array.from(e.rewards),
    terms: new Map(),
    terminated: new Uint8Array(K).fill(1),
    entropySum: 0,
  };
  for (let a = 0; a < K; a++) batch.features.set(e.start, a * spec.featureDim);
  // A value network starts at zero, so before training "value" weighs like "none".
  const centred = baseline === "mean" && episodes > 1;
  const psi = Float64Array.from(e.rewards, (f) => (centred ? f - J : f));
  const grads = episodeGradients(policy, padBatch(batch, spec, [psi, new Float64Array(K).fill(1)]));
  const vectors = flattenColumn(grads, 0);
  const scores = flattenColumn(grads, 1);
  tf.dispose(grads.tensors);
  const m = vectorMoments(vectors, pi);
  // The baseline's own noise: σ²/(N − 1) · E‖s(a)‖².
  const scoreNormSq = scores.reduce((s, v, a) => s + pi[a] * v.reduce((q, x) => q + x * x, 0), 0);
  const baselineNoise = centred ? (variance / (episodes - 1)) * scoreNormSq : 0;
  // ‖∇J‖²: a baseline leaves the expectation unchanged (E[∇log π] = 0).
  return {
    gradNormSq: m.meanNormSq,
    traceCov: m.traceCov + baselineNoise,
    episodes,
    replaysPerAction: e.replaysPerAction,
    gradient: m.mean,
  };
}
