/**
 * A run folder that is complete or absent: the training writes into a hidden staging
 * folder next to the target (`.NAME.partial-XXXX`), and only a run that ended with a
 * summary (solved, budget spent, or stopped in time to save) is renamed into place. A run
 * that failed or was killed leaves nothing. The target is checked before the run starts,
 * so a bad `--out` is an argument error, not a hang or a crash mid-run.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { TrainingSummary } from "../protocol";

/** The run folder cannot be used (the CLI exits 2 naming it). */
export class RunDirError extends Error {}

export class StagedRunDir {
  private constructor(
    readonly target: string,
    readonly staging: string,
  ) {}

  /** Checks `target` and makes the staging folder, or throws a `RunDirError` that names the problem. */
  static create(target: string): StagedRunDir {
    const dir = path.resolve(target);
    const parent = path.dirname(dir);
    const why = (error: unknown) => (error as NodeJS.ErrnoException).code ?? String(error);
    if (fs.existsSync(dir) && !fs.statSync(dir).isDirectory()) throw new RunDirError(`${target} exists and is not a folder`);
    try {
      fs.mkdirSync(parent, { recursive: true });
    } catch (error) {
      throw new RunDirError(`cannot create the folder ${parent} for ${target} (${why(error)})`);
    }
    try {
      return new StagedRunDir(dir, fs.mkdtempSync(path.join(parent, `.${path.basename(dir)}.partial-`)));
    } catch (error) {
      throw new RunDirError(`cannot write in ${parent}, the folder for ${target} (${why(error)})`);
    }
  }

  /**
   * Moves the finished run into place (replacing what a previous run left there) and
   * records its final path in its summary. Returns the summary as saved.
   */
  commit(summary: TrainingSummary): TrainingSummary {
    const saved = { ...summary, runDir: this.target };
    fs.writeFileSync(path.join(this.staging, "summary.json"), JSON.stringify(saved, null, 2) + "\n");
    // mkdtemp made the staging folder private (0700); a run folder is an ordinary one.
    fs.chmodSync(this.staging, 0o755);
    let previous: string | null = null;
    if (fs.existsSync(this.target)) {
      previous = `${this.staging}.previous`;
      fs.renameSync(this.target, previous);
    }
    fs.renameSync(this.staging, this.target);
    if (previous) fs.rmSync(previous, { recursive: true, force: true });
    return saved;
  }

  discard(): void {
    fs.rmSync(this.staging, { recursive: true, force: true });
  }
}
