/**
 * Whether returns depend on the actions at all, by coupled replays: reset with a seed, act
 * with a sequence A; reset with the same seed, act with a sequence B that differs from A at
 * every step; compare the two returns. Randomness drawn from this.rng() is the same in
 * both, so only the actions can make them differ.
 *
 * The actions are drawn from π, the distribution the gradient is taken under (design §3): a
 * dependence π never exercises carries no gradient, and one it does (a reward on a narrow
 * band of a wide Box, which uniform draws would almost never hit) shows. Episodes are replayed
 * to their end (a reward paid late is seen); the probe runs this only when its measured
 * gradient is not clearly above 0.
 *
 * Returns are called independent only when every one of INDEPENDENCE_PAIRS pairs agrees.
 * A dependence that changes a pair's return with probability δ escapes all of them with
 * probability (1 − δ)^PAIRS: with 160 pairs, under 10⁻³ for every δ ≥ 4.3%. Two arms paying
 * 1 with probability 0.9 and 0.95 from one this.rng() draw differ with δ = 5%
 * (0.95^160 ≈ 3·10⁻⁴); a deterministic dependence shows on the first pair, which ends the test.
 */
import { makeRng, normal, type Rng } from "../runtime/index";
import type { EnvSpec } from "./envSpec";
import { replayEpisode } from "./replay";
import type { CpuTimeBudget } from "./timeBound";
import type { UserEnvironmentModule } from "./userCode";

export const INDEPENDENCE_PAIRS = 160;

export interface ActionIndependence {
  /** Every pair gave equal returns (false when a pair differed, or when the probe's bound ran out first). */
  independent: boolean;
  /** Episodes replayed (two per pair). */
  episodes: number;
}

/** π: categorical probabilities over the action indices, or a diagonal Gaussian (clipped to the Box). */
export type ActionDistribution = { kind: "discrete"; probabilities: number[] } | { kind: "box"; mean: number[]; std: number[] };

/** Two action sequences drawn from π that differ at every step (B given ≠ A for discrete spaces). */
function sequencePair(spec: EnvSpec, pi: ActionDistribution, seed: string, length: number): [unknown[], unknown[]] {
  const rng = makeRng(seed);
  const act = spec.action;
  const a: unknown[] = [];
  const b: unknown[] = [];
  for (let t = 0; t < length; t++) {
    if (act.kind === "discrete" && pi.kind === "discrete") {
      const k = drawIndex(pi.probabilities, rng, -1);
      a.push(act.start + k);
      b.push(act.start + (act.n > 1 ? drawIndex(pi.probabilities, rng, k) : k));
    } else if (act.kind === "box" && pi.kind === "box") {
      const draw = () => Array.from(act.low, (lo, d) => Math.min(act.high[d], Math.max(lo, pi.mean[d] + pi.std[d] * normal(rng))));
      a.push(draw());
      b.push(draw());
    }
  }
  return [a, b];
}

/** An index drawn with the given probabilities, `except` left out (renormalised). */
function drawIndex(p: number[], rng: Rng, except: number): number {
  const total = p.reduce((s, v, k) => (k === except ? s : s + v), 0);
  let u = rng() * total;
  let last = -1;
  for (let k = 0; k < p.length; k++) {
    if (k === except || p[k] <= 0) continue;
    last = k;
    if ((u -= p[k]) < 0) return k;
  }
  return last;
}

/** The coupled-replay test (see the file comment); stops undecided when the probe's CPU-time bound is spent. */
export function testActionIndependence(
  user: UserEnvironmentModule,
  spec: EnvSpec,
  pi: ActionDistribution,
  budget?: CpuTimeBudget,
): ActionIndependence {
  const env = user.create();
  const episodeReturn = (seed: number, actions: unknown[]) =>
    replayEpisode(user, env, spec, seed, actions).rewards.reduce((s, r) => s + r, 0);
  for (let k = 0; k < INDEPENDENCE_PAIRS; k++) {
    if (budget?.exhausted) return { independent: false, episodes: 2 * k };
    const [a, b] = sequencePair(spec, pi, `independence/${k}`, spec.maxEpisodeSteps);
    const x = episodeReturn(1000 + k, a);
    const y = episodeReturn(1000 + k, b);
    if (Math.abs(x - y) > 1e-9 * Math.max(1, Math.abs(x), Math.abs(y))) return { independent: false, episodes: 2 * (k + 1) };
  }
  return { independent: true, episodes: 2 * INDEPENDENCE_PAIRS };
}
