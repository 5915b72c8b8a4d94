/**
 * Whether returns depend on the actions at all, by coupled replays: reset with a seed, act
 * with a sequence A; reset with the same seed, act with a sequence B that differs from A at
 * every step; compare the two returns. Randomness drawn from this.rng() is the same in
 * both, so only the actions can make them differ.
 *
 * Returns are called independent only when every one of INDEPENDENCE_PAIRS pairs agrees.
 * A dependence that changes a pair's return with probability δ escapes all of them with
 * probability (1 − δ)^PAIRS: with 160 pairs, under 10⁻³ for every δ ≥ 4.3%. Two arms paying
 * 1 with probability 0.9 and 0.95 from one this.rng() draw differ with δ = 5%
 * (0.95^160 ≈ 3·10⁻⁴); a deterministic dependence shows on the first pair, which ends the test.
 */
import { performance } from "node:perf_hooks";
import { makeRng } from "../runtime/index";
import type { EnvSpec } from "./envSpec";
import { replayEpisode } from "./replay";
import type { UserEnvironmentModule } from "./userCode";

export const INDEPENDENCE_PAIRS = 160;
/** Steps replayed per episode at most. */
const REPLAY_STEPS = 200;

export interface ActionIndependence {
  /** Every pair gave equal returns (false when a pair differed, or when time ran out first). */
  independent: boolean;
  /** Episodes replayed (two per pair). */
  episodes: number;
}

/** Two action sequences from the action space that differ at every step (when the space allows it). */
function sequencePair(spec: EnvSpec, seed: string, length: number): [unknown[], unknown[]] {
  const rng = makeRng(seed);
  const act = spec.action;
  const a: unknown[] = [];
  const b: unknown[] = [];
  for (let t = 0; t < length; t++) {
    if (act.kind === "discrete") {
      const k = Math.floor(rng() * act.n);
      // Another index: k shifted by 1..n−1, modulo n.
      const other = act.n > 1 ? (k + 1 + Math.floor(rng() * (act.n - 1))) % act.n : k;
      a.push(act.start + k);
      b.push(act.start + other);
    } else {
      a.push(Array.from(act.low, (lo, d) => lo + rng() * (act.high[d] - lo)));
      b.push(Array.from(act.low, (lo, d) => lo + rng() * (act.high[d] - lo)));
    }
  }
  return [a, b];
}

/** The coupled-replay test (see the file comment); stops at `deadline` (a `performance.now()` time) undecided. */
export function testActionIndependence(user: UserEnvironmentModule, spec: EnvSpec, deadline = Infinity): ActionIndependence {
  const env = user.create();
  const episodeReturn = (seed: number, actions: unknown[]) =>
    replayEpisode(user, env, spec, seed, actions).rewards.reduce((s, r) => s + r, 0);
  const length = Math.min(spec.maxEpisodeSteps, REPLAY_STEPS);
  for (let k = 0; k < INDEPENDENCE_PAIRS; k++) {
    if (performance.now() > deadline) return { independent: false, episodes: 2 * k };
    const [a, b] = sequencePair(spec, `independence/${k}`, length);
    const x = episodeReturn(1000 + k, a);
    const y = episodeReturn(1000 + k, b);
    if (Math.abs(x - y) > 1e-9 * Math.max(1, Math.abs(x), Math.abs(y))) return { independent: false, episodes: 2 * (k + 1) };
  }
  return { independent: true, episodes: 2 * INDEPENDENCE_PAIRS };
}
