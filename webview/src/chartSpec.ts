/** What a chart draws, line by line: shared by the live chart (charts.ts) and its export (export.ts). */

/** One line of a chart. */
export interface LineSpec {
  label: string;
  color: string;
  width?: number;
  dash?: number[];
  /** Kept out of the legend (band edges, helper lines). */
  quiet?: boolean;
  /** Legend read-out of the value at index i (defaults to a compact number). */
  format?: (value: number | null, index: number) => string;
}

/** A filled band between two of the chart's lines. */
export interface BandSpec {
  /** Indices into `lines` of the upper and lower edge. */
  upper: number;
  lower: number;
  fill: string;
}
