/**
 * N finished episodes laid out episode-major with a stride of `maxEpisodeSteps`: row
 * i·stride + t holds step t of episode i. The rollout fills one, the returns, the gradient
 * pass and the statistics read it.
 */
import type { EnvSpec } from "./spaceSpec";

export interface EpisodeBatch {
  n: number;
  stride: number;
  lengths: Int32Array;
  /** Policy input features of s_t. */
  features: Float32Array;
  /** Discrete: index of a_t (0-based). */
  actionIndex: Int32Array;
  /** Box: the sampled (unclipped) Gaussian action. */
  actionValue: Float32Array;
  /** r_{t+1}, the reward that followed a_t (the `reward` export's sum when present). */
  rewards: Float64Array;
  /** Named reward terms, when the `reward` export returns an object. */
  terms: Map<string, Float64Array>;
  /** Whether each episode ended by termination (else truncation). */
  terminated: Uint8Array;
  /** Sum over steps of the policy's entropy, for the metrics. */
  entropySum: number;
}

/** A batch with room for `n` episodes of at most `spec.maxEpisodeSteps` steps. */
export function emptyBatch(spec: EnvSpec, n: number): EpisodeBatch {
  const rows = n * spec.maxEpisodeSteps;
  return {
    n,
    stride: spec.maxEpisodeSteps,
    lengths: new Int32Array(n),
    features: new Float32Array(rows * spec.featureDim),
    actionIndex: new Int32Array(spec.action.kind === "discrete" ? rows : 0),
    actionValue: new Float32Array(spec.action.kind === "box" ? rows * spec.actionDim : 0),
    rewards: new Float64Array(rows),
    terms: new Map(),
    terminated: new Uint8Array(n),
    entropySum: 0,
  };
}

/** Ready to be filled again: no episode has a step, no term a value. */
export function clearBatch(batch: EpisodeBatch): void {
  batch.lengths.fill(0);
  batch.terminated.fill(0);
  batch.entropySum = 0;
  for (const column of batch.terms.values()) column.fill(0);
}

/** Records the named reward terms of one row, adding a column for a name seen first. */
export function recordTerms(batch: EpisodeBatch, row: number, terms: [string, number][]): void {
  for (const [name, value] of terms) {
    let column = batch.terms.get(name);
    if (!column) {
      column = new Float64Array(batch.rewards.length);
      batch.terms.set(name, column);
    }
    column[row] = value;
  }
}

/** Episodes of several batches (same stride) as one batch (a copy). */
export function concatBatches(batches: EpisodeBatch[]): EpisodeBatch {
  // An array with `perEpisode` entries per environment copy; each batch contributes its first n episodes.
  const join = <T extends Float32Array | Float64Array | Int32Array | Uint8Array>(
    get: (b: EpisodeBatch) => T,
    perEpisode: (b: EpisodeBatch) => number,
  ): T => {
    const parts = batches.map((b) => get(b).subarray(0, b.n * perEpisode(b)));
    const out = new (get(batches[0]).constructor as new (length: number) => T)(parts.reduce((s, p) => s + p.length, 0));
    let at = 0;
    for (const p of parts) {
      out.set(p as never, at);
      at += p.length;
    }
    return out;
  };
  // Row arrays hold `stride` rows per copy, of however many values per row.
  const rows = <T extends Float32Array | Float64Array | Int32Array>(get: (b: EpisodeBatch) => T) =>
    join(get, (b) => (b.stride * get(b).length) / b.rewards.length);
  const terms = new Map<string, Float64Array>();
  for (const name of new Set(batches.flatMap((b) => [...b.terms.keys()])))
    terms.set(
      name,
      rows((b) => b.terms.get(name) ?? new Float64Array(b.rewards.length)),
    );
  return {
    n: batches.reduce((s, b) => s + b.n, 0),
    stride: batches[0].stride,
    lengths: join(
      (b) => b.lengths,
      () => 1,
    ),
    features: rows((b) => b.features),
    actionIndex: rows((b) => b.actionIndex),
    actionValue: rows((b) => b.actionValue),
    rewards: rows((b) => b.rewards),
    terms,
    terminated: join(
      (b) => b.terminated,
      () => 1,
    ),
    entropySum: batches.reduce((s, b) => s + b.entropySum, 0),
  };
}
