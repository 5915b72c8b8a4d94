/**
 * Progress merged for an editor: at most one delivery per `intervalMs` (20 a second at
 * 50 ms), each with the latest update and every update since the last delivery, the last
 * one always delivered (`flush`). With `intervalMs` 0 every update is delivered at once.
 */
import type { UpdateMetrics } from "../protocol";

export type ProgressListener = (latest: UpdateMetrics, merged: UpdateMetrics[]) => void;

export class ProgressMerge {
  private pending: UpdateMetrics[] = [];
  private lastSent = -Infinity;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly listener: ProgressListener,
    private readonly intervalMs: number,
  ) {}

  push(metrics: UpdateMetrics): void {
    this.pending.push(metrics);
    const wait = this.lastSent + this.intervalMs - performance.now();
    if (wait <= 0) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), wait);
  }

  /** Delivers what is pending now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.pending.length) return;
    const merged = this.pending;
    this.pending = [];
    this.lastSent = performance.now();
    this.listener(merged[merged.length - 1], merged);
  }
}
