/** How numbers read in the dashboard (legends, read-outs): compact, fixed rules, no DOM. */

export function formatNumber(v: number | null): string {
  if (v === null || !Number.isFinite(v)) return "–";
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e5 || a < 1e-3)) return v.toExponential(2);
  return a >= 100 ? v.toFixed(1) : a >= 1 ? v.toFixed(2) : v.toPrecision(3);
}

/** m:ss, or h:mm:ss from an hour on. */
/** A fraction of 1 as a percentage, in the unit of a percent axis: 0.638 → "63.8%". */
export function formatPercent(v: number | null): string {
  return v === null || !Number.isFinite(v) ? "–" : `${(v * 100).toFixed(Math.abs(v) >= 10 ? 0 : 1)}%`;
}

export function formatElapsed(seconds: number): string {
  const s = Math.floor(seconds);
  const h = Math.floor(s / 3600);
  const mm = String(Math.floor((s % 3600) / 60)).padStart(h > 0 ? 2 : 1, "0");
  const ss = String(s % 60).padStart(2, "0");
  return h > 0 ? `${h}:${mm}:${ss}` : `${mm}:${ss}`;
}
