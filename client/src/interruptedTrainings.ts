/**
 * A window reload (or close) ends the trainings it runs without a word from them: the language
 * server goes with the window. So the environments training are kept in the workspace state
 * whenever the trainings change, and the next window reads them once: a name still there was
 * training when the window went away. No `vscode` here (the tests run it under Node).
 */

/** The part of `vscode.Memento` used. */
export interface StateStore {
  get<T>(key: string): T | undefined;
  update(key: string, value: unknown): Thenable<void> | Promise<void>;
}

/** Workspace state: the environments training when the window last changed its trainings. */
export const INTERRUPTED_KEY = "rlPlayground.trainingsRunning";

/**
 * Called whenever the trainings change (each progress update among them): the environments
 * training now, written only when that list differs from the one stored.
 */
export function recordTrainings(state: StateStore, environments: string[]): Thenable<void> | Promise<void> {
  const stored = state.get<string[]>(INTERRUPTED_KEY) ?? [];
  if (stored.length === environments.length && stored.every((name, k) => name === environments[k])) return Promise.resolve();
  return state.update(INTERRUPTED_KEY, environments);
}

/** At activation: the environments the previous window was training when it went away (each once), and the record cleared. */
export async function takeInterrupted(state: StateStore): Promise<string[]> {
  const names = state.get<string[]>(INTERRUPTED_KEY) ?? [];
  if (names.length) await state.update(INTERRUPTED_KEY, []);
  return [...new Set(names)];
}

/** What the user is told, and the output channel's line. */
export function interruptedMessages(names: string[]): { warning: string; log: string } {
  const list = names.join(", ");
  return {
    warning: `The window was closed or reloaded while training ${list}: the training stopped with it (a run stopped that way is not saved). Train again to go on.`,
    log: `The window was closed or reloaded while training ${list}: that training was stopped.`,
  };
}
