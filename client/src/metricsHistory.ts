/**
 * The updates the extension host keeps per run, to replay into a dashboard opened later.
 * Every update arrives (design §6), hundreds a second on a fast environment, so the list is
 * bounded: when it reaches `cap`, every second entry of its older half is dropped. The newest
 * half stays at full resolution, the first update stays, and the memory is O(cap) however
 * long the run (the page draws at most ~1000 points per chart anyway).
 */
export const METRICS_KEPT_PER_RUN = 20_000;

export function appendBounded<T>(list: T[], item: T, cap: number = METRICS_KEPT_PER_RUN): void {
  list.push(item);
  if (list.length < cap) return;
  const half = Math.floor(list.length / 2);
  let kept = 0;
  for (let i = 0; i < half; i += 2) list[kept++] = list[i]!;
  list.copyWithin(kept, half);
  list.length = kept + (list.length - half);
}
