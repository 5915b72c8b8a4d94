/**
 * Returns and baselines: the weights Ψ_t that multiply ∇θ log πθ(a_t|s_t).
 *
 * Discounting convention (the usual REINFORCE practice, as in Sutton & Barto's episodic
 * algorithm without its γ^t factor): Ψ_t is built from the discounted return-to-go
 *
 *   G_t = Σ_{k≥t} γ^{k−t} r_{k+1}
 *
 * and the score term ∇θ log π(a_t|s_t) carries no γ^t factor. With γ < 1 this follows the
 * gradient of the undiscounted-state-visitation objective, not exactly of J_γ(θ) =
 * E[G_0]; with γ = 1 it is the exact gradient of the expected return.
 *
 * Rows are laid out as in `EpisodeBatch`: row i·stride + t holds step t of episode i.
 */
import type { EpisodeBatch } from "./episodeBatch";

/** G_t = r_{t+1} + γ G_{t+1}, per episode, into `out`. */
export function rewardToGo(batch: EpisodeBatch, gamma: number, out: Float64Array, rewards: Float64Array = batch.rewards): Float64Array {
  for (let i = 0; i < batch.n; i++) {
    let G = 0;
    const base = i * batch.stride;
    for (let t = batch.lengths[i] - 1; t >= 0; t--) out[base + t] = G = rewards[base + t] + gamma * G;
  }
  return out;
}

/** The undiscounted return Σ_t r_{t+1} of each episode. */
export function episodeReturns(batch: EpisodeBatch, rewards: Float64Array = batch.rewards): number[] {
  const out: number[] = [];
  for (let i = 0; i < batch.n; i++) {
    let total = 0;
    for (let t = 0; t < batch.lengths[i]; t++) total += rewards[i * batch.stride + t];
    out.push(total);
  }
  return out;
}

/** The length of the longest episode of a batch. */
export function longestEpisode(batch: EpisodeBatch): number {
  let T = 0;
  for (let i = 0; i < batch.n; i++) T = Math.max(T, batch.lengths[i]);
  return T;
}

/**
 * G minus the leave-one-out "mean" baseline (design §2): for episode i at time index t,
 *
 *   b_{i,t} = (S_t − G_{i,t}) / (n_t − 1),   S_t = Σ_{j running at t} G_{j,t},  n_t = #{j running at t}
 *
 * and b_{i,t} = 0 when no other episode runs at t. b_{i,t} depends only on the other
 * episodes, which are independent of episode i's actions, so E[∇log π(a_t|s_t) b_{i,t}] = 0
 * and the batch estimate stays unbiased. (A batch mean that includes G_{i,t} itself scales
 * E[ĝ] by 1 − 1/n_t, and zeroes Ψ where one episode runs alone.)
 */
export function minusLeaveOneOutMean(batch: EpisodeBatch, G: Float64Array): Float64Array {
  const T = longestEpisode(batch);
  const sum = new Float64Array(T);
  const count = new Float64Array(T);
  for (let i = 0; i < batch.n; i++)
    for (let t = 0; t < batch.lengths[i]; t++) {
      sum[t] += G[i * batch.stride + t];
      count[t]++;
    }
  return mapRows(batch, (_i, t, row) => G[row] - (count[t] > 1 ? (sum[t] - G[row]) / (count[t] - 1) : 0));
}

/** A new row array with f(i, t, row) on every real row of the batch (zero elsewhere). */
export function mapRows(batch: EpisodeBatch, f: (i: number, t: number, row: number) => number): Float64Array {
  const out = new Float64Array(batch.rewards.length);
  for (let i = 0; i < batch.n; i++) for (let t = 0; t < batch.lengths[i]; t++) out[i * batch.stride + t] = f(i, t, i * batch.stride + t);
  return out;
}

/**
 * (Ψ − mean)/std over the batch's real rows (`normalizeAdvantages`): it rescales and
 * shifts the step, never the statistics, which describe Ψ itself.
 */
export function normalized(batch: EpisodeBatch, psi: Float64Array): Float64Array {
  let sum = 0;
  let sumSq = 0;
  let count = 0;
  for (let i = 0; i < batch.n; i++)
    for (let t = 0; t < batch.lengths[i]; t++) {
      const v = psi[i * batch.stride + t];
      sum += v;
      sumSq += v * v;
      count++;
    }
  const mean = sum / count;
  const std = Math.sqrt(Math.max(sumSq / count - mean * mean, 0)) + 1e-8;
  return mapRows(batch, (_i, _t, row) => (psi[row] - mean) / std);
}
