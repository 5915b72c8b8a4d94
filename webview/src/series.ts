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

/*
 * Incremental versions for drawing. Run columns only ever grow at the end, so a smoothed
 * column, a derived column and the buckets of a column can be extended by the new updates
 * instead of recomputed: a frame costs O(new updates + points drawn), not O(run length).
 * Caches are keyed by the source column's identity (a run replaced by a reload gets new
 * columns, hence new caches).
 */

interface SmoothCache {
  weight: number;
  out: Column;
  last: number;
  k: number;
}
const smoothCaches = new WeakMap<Column, SmoothCache>();

/** `smooth(values, weight)`, extended from the previous call's result; a new array when the weight changes. */
export function smoothIncremental(values: Column, weight: number): Column {
  if (weight <= 0) return values;
  let c = smoothCaches.get(values);
  if (!c || c.weight !== weight || c.out.length > values.length) {
    c = { weight, out: [], last: 0, k: 0 };
    smoothCaches.set(values, c);
  }
  for (let i = c.out.length; i < values.length; i++) {
    const v = values[i];
    if (v === null || !Number.isFinite(v)) {
      c.out.push(null);
      continue;
    }
    c.last = c.last * weight + (1 - weight) * v;
    c.k++;
    c.out.push(c.last / (1 - Math.pow(weight, c.k)));
  }
  return c.out;
}

const derivedCaches = new WeakMap<object, Map<string, Column>>();

/** Column `name` of `owner`, value i = at(i), computed once per index for the first `length` indices. */
export function derivedColumn(owner: object, name: string, length: number, at: (i: number) => number | null): Column {
  let byName = derivedCaches.get(owner);
  if (!byName) derivedCaches.set(owner, (byName = new Map()));
  let out = byName.get(name);
  if (!out || out.length > length) byName.set(name, (out = []));
  for (let i = out.length; i < length; i++) out.push(at(i));
  return out;
}

interface BucketCache {
  processed: number;
  acc: Column;
  counts: number[];
  out: Column;
}
const bucketCaches = new WeakMap<Column, Map<string, BucketCache>>();

/** `bucketize(update, values, b, mode)`, extended from the previous call for the same column, mode and bucket size. */
export function bucketizeIncremental(update: number[], values: Column, b: Buckets, mode: BucketMode): Column {
  let byKey = bucketCaches.get(values);
  if (!byKey) bucketCaches.set(values, (byKey = new Map()));
  const key = `${mode}:${b.size}`;
  let c = byKey.get(key);
  const n = Math.min(update.length, values.length);
  if (!c || c.processed > n) {
    // Buckets of an outgrown size are never asked for again.
    for (const k of [...byKey.keys()]) if (!k.endsWith(`:${b.size}`)) byKey.delete(k);
    byKey.set(key, (c = { processed: 0, acc: [], counts: [], out: [] }));
  }
  const grow = (cache: BucketCache, length: number) => {
    while (cache.out.length < length) {
      cache.acc.push(null);
      cache.counts.push(0);
      cache.out.push(null);
    }
  };
  for (let i = c.processed; i < n; i++) {
    const v = values[i];
    const k = Math.floor((update[i] - 1) / b.size);
    grow(c, k + 1);
    if (v === null || v === undefined || !Number.isFinite(v) || k < 0) continue;
    const prev = c.acc[k];
    c.acc[k] = prev === null ? v : mode === "mean" ? prev + v : mode === "min" ? Math.min(prev, v) : mode === "max" ? Math.max(prev, v) : v;
    c.counts[k]++;
    c.out[k] = mode === "mean" ? (c.acc[k] as number) / c.counts[k] : c.acc[k];
  }
  c.processed = n;
  grow(c, b.count);
  return c.out.length === b.count ? c.out : c.out.slice(0, b.count);
}
