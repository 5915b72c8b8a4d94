/**
 * A seed group: the same file trained once per seed, counted as the file's one training. Its
 * runs start side by side up to the runner bound (`rlPlayground.maxRunners`); the others wait
 * and start as runs end. Stopping the group stops its runs, and the ones still waiting end
 * without ever starting a runner. Each run is a `TrainingSession` of its own (its notifications
 * carry the group's id); the group has ended when every run has.
 */
import type { PlaybackResult, StartGroupResult } from "../protocol";
import type { TrainingSession } from "./trainingSession";

export class SeedGroup {
  /** Resolves when every run has ended, with each run's folder (null: none saved), in the order of the seeds. */
  readonly ended: Promise<Array<string | null>>;
  private readonly waiting: TrainingSession[];
  private stopMessage: string | null = null;
  private done = false;

  constructor(
    readonly groupId: string,
    readonly runs: TrainingSession[],
    private readonly bound: number,
  ) {
    this.waiting = [...runs];
    this.ended = Promise.all(runs.map((r) => r.ended)).then((dirs) => {
      this.done = true;
      return dirs;
    });
    // A run that ends gives its runner to the next one waiting.
    for (const run of runs) void run.ended.then(() => this.startNext());
  }

  get runId(): string {
    return this.groupId;
  }
  get uri(): string {
    return this.runs[0]!.uri;
  }
  get file(): string {
    return this.runs[0]!.file;
  }
  get stopping(): boolean {
    return this.stopMessage !== null && !this.done;
  }
  /** The newest episode any running run of the group played. */
  get latestPlayback(): PlaybackResult | null {
    return this.runs.find((r) => r.latestPlayback)?.latestPlayback ?? null;
  }

  answer(): StartGroupResult {
    return { groupId: this.groupId, runIds: this.runs.map((r) => r.runId) };
  }

  /** Starts as many runs as the bound allows. */
  begin(): void {
    for (let i = 0; i < Math.max(1, this.bound); i++) this.startNext();
  }

  stop(message = "training was stopped"): boolean {
    if (this.done || this.stopMessage !== null) return false;
    this.stopMessage = message;
    for (const run of this.waiting.splice(0)) run.endUnstarted(`${message} (this seed's run had not started)`);
    for (const run of this.runs) run.stop(message);
    return true;
  }

  follow(uri: string, file: string): void {
    for (const run of this.runs) run.follow(uri, file);
  }

  private startNext(): void {
    if (this.stopMessage !== null) return;
    const next = this.waiting.shift();
    // A run stopped on its own while it waited ends now; its end starts the next one.
    if (next?.stopping) next.endUnstarted("training was stopped before its turn came");
    else if (next) void next.run();
  }
}
