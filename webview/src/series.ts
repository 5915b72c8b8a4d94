/**
 * Turning run columns into what a chart draws: smoothing in the data's own steps (one
 * exponential-moving-average step per update, before anything is bucketed, so the curve does not
 * depend on how many points are drawn), and bucketing to about one point per pixel so a
 * 10,000-update run draws as fast as a short one.
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
 * Buckets of width `size` along the x axis (update numbers, episodes, environment steps or
 * seconds): bucket k holds the points with x in (k·size, (k+1)·size]. Runs of different lengths
 * bucketed with the same size line up on one x axis.
 */
export interface Buckets {
  /** Which x column the buckets are of (cached bucketings are kept apart by it). */
  axis: string;
  size: number;
  count: number;
  /** x of bucket k: the right edge it covers. */
  x: number[];
}

/** Enough buckets for `maxPoints` points across x in (0, maxX]; whole-number x gets whole-number widths. */
export function bucketsFor(maxX: number, maxPoints: number, axis = "update", whole = true): Buckets {
  const raw = maxX / Math.max(1, maxPoints);
  const size = whole ? Math.max(1, Math.ceil(raw)) : raw > 0 ? raw : 1;
  const count = maxX > 0 ? Math.ceil(maxX / size - 1e-9) : 0;
  const x = new Array<number>(count);
  for (let k = 0; k < count; k++) x[k] = Math.min((k + 1) * size, maxX);
  return { axis, size, count, x };
}

/** The bucket of x: (k·size, (k+1)·size] → k; x at or below 0 goes to the first. */
function bucketOf(x: number, size: number): number {
  return Math.max(0, Math.ceil(x / size - 1e-9) - 1);
}

/** One value per bucket from (x, value) pairs; a bucket with no value is null. */
export function bucketize(xs: number[], values: Column, b: Buckets, mode: BucketMode): Column {
  const out: Column = new Array<number | null>(b.count).fill(null);
  const counts = mode === "mean" ? new Array<number>(b.count).fill(0) : null;
  for (let i = 0; i < xs.length; i++) {
    const v = values[i];
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    const k = bucketOf(xs[i], b.size);
    if (k >= b.count) continue;
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
export function bucketizeIncremental(xs: number[], values: Column, b: Buckets, mode: BucketMode): Column {
  let byKey = bucketCaches.get(values);
  if (!byKey) bucketCaches.set(values, (byKey = new Map()));
  const sizeKey = `${b.axis}:${b.size}`;
  const key = `${mode}:${sizeKey}`;
  let c = byKey.get(key);
  const n = Math.min(xs.length, values.length);
  if (!c || c.processed > n) {
    // Buckets of an outgrown size (or another axis) are never asked for again.
    for (const k of [...byKey.keys()]) if (!k.endsWith(`:${sizeKey}`)) byKey.delete(k);
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
    const k = bucketOf(xs[i], b.size);
    grow(c, k + 1);
    if (v === null || v === undefined || !Number.isFinite(v)) continue;
    const prev = c.acc[k];
    c.acc[k] = prev === null ? v : mode === "mean" ? prev + v : mode === "min" ? Math.min(prev, v) : mode === "max" ? Math.max(prev, v) : v;
    c.counts[k]++;
    c.out[k] = mode === "mean" ? (c.acc[k] as number) / c.counts[k] : c.acc[k];
  }
  c.processed = n;
  grow(c, b.count);
  return c.out.length === b.count ? c.out : c.out.slice(0, b.count);
}
