/**
 * How many times a crashed language server is restarted: at most `maxRestarts` within a
 * sliding `windowMs`. Beyond that the client stops restarting and says so, rather than
 * looping on a server that dies at start (vscode-eslint's "crashed 5 times" lesson).
 */
export const MAX_RESTARTS = 4;
export const RESTART_WINDOW_MS = 3 * 60_000;

export class RestartBudget {
  private restarts: number[] = [];

  constructor(
    readonly maxRestarts = MAX_RESTARTS,
    readonly windowMs = RESTART_WINDOW_MS,
  ) {}

  /** Whether a crash at `now` may restart the server; a granted restart is counted. */
  take(now: number): boolean {
    this.restarts = this.restarts.filter((t) => now - t < this.windowMs);
    if (this.restarts.length >= this.maxRestarts) return false;
    this.restarts.push(now);
    return true;
  }

  /** The user restarted the server by hand: start counting afresh. */
  reset(): void {
    this.restarts = [];
  }
}
