/**
 * A run folder that is complete or absent: the training writes into a hidden staging
 * folder next to the target (`.NAME.partial-XXXX`), and only a run that ended with a
 * summary (solved, budget spent, or stopped in time to save) is renamed into place. A run
 * that failed or was killed leaves nothing. The target is checked before the run starts,
 * so a bad `--out` is an argument error, not a hang or a crash mid-run.
 *
 * Nothing of the user's is ever deleted:
 * - a folder the caller named (`--out DIR`) may be replaced only when it is empty or holds a
 *   previous run (a `summary.json`); any other folder with files in it is refused up front;
 * - a fresh name the caller made up (`<name>-<time>`, `fresh: true`) is never replaced: when
 *   something is there by the time the run ends (another run of the same second), the run
 *   is saved as `<name>-<time>-2`, `-3`, … A name is claimed by creating its folder, which
 *   fails when it exists, so two runs ending at once cannot take the same one.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { TrainingSummary } from "../protocol";

/** The run folder cannot be used (the CLI exits 2 naming it). */
export class RunDirError extends Error {}

/** A folder a run may replace: empty, or the folder of a previous run. */
function replaceable(dir: string): boolean {
  const entries = fs.readdirSync(dir);
  return entries.length === 0 || entries.includes("summary.json");
}

export class StagedRunDir {
  private constructor(
    readonly target: string,
    readonly staging: string,
    private readonly fresh: boolean,
  ) {}

  /**
   * Checks `target` and makes the staging folder, or throws a `RunDirError` that names the
   * problem. `fresh`: the name was made up for this run and is never replaced (see above).
   */
  static create(target: string, options: { fresh?: boolean } = {}): StagedRunDir {
    const dir = path.resolve(target);
    const parent = path.dirname(dir);
    const why = (error: unknown) => (error as NodeJS.ErrnoException).code ?? String(error);
    if (fs.existsSync(dir)) {
      if (!fs.statSync(dir).isDirectory()) throw new RunDirError(`${target} exists and is not a folder`);
      if (!options.fresh && !replaceable(dir))
        throw new RunDirError(`${target} is a folder with files in it that is not a run folder: name a new or empty folder`);
    }
    try {
      fs.mkdirSync(parent, { recursive: true });
    } catch (error) {
      throw new RunDirError(`cannot create the folder ${parent} for ${target} (${why(error)})`);
    }
    try {
      return new StagedRunDir(dir, fs.mkdtempSync(path.join(parent, `.${path.basename(dir)}.partial-`)), options.fresh ?? false);
    } catch (error) {
      throw new RunDirError(`cannot write in ${parent}, the folder for ${target} (${why(error)})`);
    }
  }

  /**
   * Moves the finished run into place and records its final path in its summary. Returns the
   * summary as saved.
   */
  commit(summary: TrainingSummary): TrainingSummary {
    // mkdtemp made the staging folder private (0700); a run folder is an ordinary one.
    fs.chmodSync(this.staging, 0o755);
    const replacing = !this.fresh && fs.existsSync(this.target) && replaceable(this.target);
    const target = replacing ? this.target : this.claimName();
    const saved = { ...summary, runDir: target };
    fs.writeFileSync(path.join(this.staging, "summary.json"), JSON.stringify(saved, null, 2) + "\n");
    if (!replacing) {
      moveOntoEmpty(this.staging, target);
      return saved;
    }
    const previous = `${this.staging}.previous`;
    fs.renameSync(this.target, previous);
    fs.renameSync(this.staging, this.target);
    fs.rmSync(previous, { recursive: true, force: true });
    return saved;
  }

  discard(): void {
    fs.rmSync(this.staging, { recursive: true, force: true });
  }

  /**
   * The target, or the first `target-N` that does not exist, claimed by creating it (mkdir
   * fails when the folder exists, so two runs never claim the same name); the staging folder
   * then replaces the empty folder claimed.
   */
  private claimName(): string {
    for (let n = 1; ; n++) {
      const candidate = n === 1 ? this.target : `${this.target}-${n}`;
      try {
        fs.mkdirSync(candidate);
        return candidate;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      }
    }
  }
}

/** Renames `from` onto `to`, an empty folder (POSIX replaces it; elsewhere it is removed first). */
function moveOntoEmpty(from: string, to: string): void {
  try {
    fs.renameSync(from, to);
  } catch {
    fs.rmdirSync(to);
    fs.renameSync(from, to);
  }
}
