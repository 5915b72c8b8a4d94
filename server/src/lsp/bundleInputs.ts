/**
 * Which files each document's check read (its bundle's inputs: the environment file and
 * everything it imports), so that a change to an imported file, on disk or in an editor,
 * re-checks the documents that use it. Paths are compared in their canonical form
 * (symbolic links resolved), since esbuild reports the real path of what it loaded.
 *
 * A check that was already bundling when a file changed cannot know whether it read the old
 * or the new contents: `stale` tells its caller to check again rather than publish.
 */
import * as fs from "node:fs";
import * as path from "node:path";

/** The real path of `file`; for a file that does not exist (deleted), its folder's real path and its name. */
export function canonicalPath(file: string): string {
  const resolved = path.resolve(file);
  try {
    return fs.realpathSync.native(resolved);
  } catch {
    try {
      return path.join(fs.realpathSync.native(path.dirname(resolved)), path.basename(resolved));
    } catch {
      return resolved;
    }
  }
}

export class BundleInputs {
  /** document URI → the canonical paths its last check read. */
  private readonly inputs = new Map<string, Set<string>>();
  /** canonical path → the sequence number of its last change. */
  private readonly changedAt = new Map<string, number>();
  private sequence = 0;

  /** A mark to take before bundling; `stale(mark, …)` compares against it. */
  mark(): number {
    return this.sequence;
  }

  record(uri: string, files: readonly string[]): void {
    this.inputs.set(uri, new Set(files.map(canonicalPath)));
  }

  forget(uri: string): void {
    this.inputs.delete(uri);
  }

  /** `file` changed: returns the documents whose last check read it. */
  changed(file: string): string[] {
    const key = canonicalPath(file);
    this.changedAt.set(key, ++this.sequence);
    return [...this.inputs].filter(([, files]) => files.has(key)).map(([uri]) => uri);
  }

  /** One of `files` changed after `mark` was taken: a bundle made since may hold its old contents. */
  stale(mark: number, files: readonly string[]): boolean {
    return files.some((f) => (this.changedAt.get(canonicalPath(f)) ?? 0) > mark);
  }
}
