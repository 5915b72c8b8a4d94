/**
 * Turning run columns into what a chart draws: TensorBoard's smoothing, and bucketing to at
 * most a few points per pixel so a 10,000-update run draws as fast as a short one.
 */
import type { Column } from "./state";

/**
 * TensorBoard's smoothing: an exponential moving average s_i = w·s_{i−1} + (1−w)·v_i, debiased
 * by dividing by 1 − w^k (k = finite values seen so far) so the curve starts at the data
 * rather than at 0. Missing and non-finite values stay missing and do not move the average.
 */
export function smooth(values: Column, weight: number): Column {
  if (weight <= 0) return values;
  const out: Column = new Array(values.length);
  let last = 0;
  let k = 0;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v === null || !Number.isFinite(v)) {
      out[i] = null;
      continue;
    }
    last = last * weight + (1 - weight) * v;
    k++;
    out[i] = last / (1 - Math.pow(weight, k));
  }
  return out;
}

/** Values a log-scale axis can draw: non-positive and non-finite become gaps. */
export function positiveOnly(values: Column): Column {
  return values.map((v) => (v !== null && v > 0 && Number.isFinite(v) ? v : null));
}

export type BucketMode = "mean" | "min" | "max" | "last";

/**
 * Buckets of `size` consecutive update numbers: bucket k holds updates (k·size, (k+1)·size].
 * Runs of different lengths bucketed with the same size line up on one x axis.
 */
export interface Buckets {
  size: number;
  count: number;
  /** x of bucket k: the last update number it covers. */
  x: number[];
}

/** Enough buckets for `maxPoints` points across updates 1..maxUpdate. */
export function bucketsFor(maxUpdate: number, maxPoints: number): Buckets {
  const size = Math.max(1, Math.ceil(maxUpdate / Math.max(1, maxPoints)));
  const count = Math.ceil(maxUpdate / size);
  const x = new Array<number>(count);
  for (let k = 0; k < count; k++) x[k] = Math.min((k + 1) * size, maxUpdate);
  return { size, count, x };
}

/** One value per bucket from (update, value) pairs; a bucket with no value is null. */
export function bucketize(update: number[], values: Column, b: Buckets, mode: BucketMode): Column {
  const out: Column = new Array<number | null>(b.count).fill(null);
  const counts = mode === "mean" ? new Array<number>(b.count).fill(0) : null;
  for (let i = 0; i < update.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    const k = Math.floor((update[i] - 1) / b.size);
    if (k < 0 || k >= b.count) continue;
    const prev = out[k];
    if (prev === null) out[k] = v;
    else if (mode === "mean") out[k] = prev + v;
    else if (mode === "min") out[k] = Math.min(prev, v);
    else if (mode === "max") out[k] = Math.max(prev, v);
    else out[k] = v;
    if (counts) counts[k]++;
  }
  if (counts) for (let k = 0; k < b.count; k++) if (counts[k] > 1) out[k] = (out[k] as number) / counts[k];
  return out;
}

/** The last finite value of a column, or null. */
export function lastValue(values: Column): number | null {
  for (let i = values.length - 1; i >= 0; i--) {
    const v = values[i];
    if (v !== null && Number.isFinite(v)) return v;
  }
  return null;
}
