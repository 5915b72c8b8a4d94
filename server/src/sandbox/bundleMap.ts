/**
 * From the bundle's generated code back to the user's files: stack frames in the bundle
 * (named `<entry>.bundle.js` when it is evaluated) and their places in the original sources,
 * through the bundle's source map.
 */
import * as path from "node:path";
import { TraceMap, originalPositionFor } from "@jridgewell/trace-mapping";
import type { EnvironmentBundle } from "./bundle";
import type { BundlePosition } from "./callGuard";
import type { SourcePlace } from "../rl/userCode";

/** The file name the bundle's code is evaluated under, which its stack frames carry. */
export const bundleFileName = (bundle: EnvironmentBundle): string => bundle.entry + ".bundle.js";

export class BundleMap {
  private readonly virtualName: string;
  private readonly traceMap: TraceMap;

  /** Made before user code runs: parsing the map uses built-ins (Array.prototype.map) a file may replace. */
  constructor(private readonly bundle: EnvironmentBundle) {
    this.virtualName = bundleFileName(bundle);
    this.traceMap = new TraceMap(bundle.map, this.virtualName);
  }

  /** The bundle positions of a stack's frames that are in the bundle, innermost first. */
  *framesOf(stack: string): Generator<BundlePosition> {
    for (const line of stack.split("\n")) {
      const at = line.lastIndexOf(this.virtualName + ":");
      if (at < 0) continue;
      const m = /:(\d+):(\d+)\)?\s*$/.exec(line.slice(at + this.virtualName.length));
      if (m) yield { line: Number(m[1]), column: Number(m[2]) };
    }
  }

  /** The place in the user's file of a bundle position; undefined for code esbuild added. */
  placeOf(position: BundlePosition): SourcePlace | undefined {
    const pos = originalPositionFor(this.traceMap, { line: position.line, column: position.column - 1 });
    if (pos.source === null || pos.line === null) return undefined;
    return { file: path.resolve(path.dirname(this.bundle.entry), pos.source), line: pos.line - 1, character: pos.column ?? 0 };
  }

  /** The innermost frame of a stack that maps to the user's files. */
  placeInStack(stack: string): SourcePlace | undefined {
    for (const frame of this.framesOf(stack)) {
      const place = this.placeOf(frame);
      if (place) return place;
    }
    return undefined;
  }
}
