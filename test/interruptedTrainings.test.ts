/**
 * A window reload during a training warns in the next window: the trainings are recorded in the
 * workspace state as they change, and the next activation reads them once. A training that
 * ended before the reload is not reported; a window after that one says nothing.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { interruptedMessages, recordTrainings, takeInterrupted, type StateStore } from "../client/src/interruptedTrainings";

/** The workspace state, which outlives a window (VS Code keeps it on disk). */
function workspaceState(): StateStore {
  const values = new Map<string, unknown>();
  return {
    get: <T>(key: string) => values.get(key) as T | undefined,
    update: async (key, value) => void values.set(key, value),
  };
}

test("a reload while training warns once in the next window, naming the environment", async () => {
  const state = workspaceState();
  // Window 1: CartPole starts; a seed group of GridWorld (three runs of one file) starts too.
  await recordTrainings(state, ["CartPole"]);
  await recordTrainings(state, ["CartPole", "GridWorld", "GridWorld", "GridWorld"]);
  // The window reloads: window 2 activates.
  const interrupted = await takeInterrupted(state);
  assert.deepEqual(interrupted, ["CartPole", "GridWorld"]);
  const { warning, log } = interruptedMessages(interrupted);
  assert.match(warning, /reloaded while training CartPole, GridWorld/);
  assert.match(warning, /Train again/);
  assert.match(log, /CartPole, GridWorld/);
  // Window 3: nothing new was training, nothing to say.
  assert.deepEqual(await takeInterrupted(state), []);
});

test("a training that ended before the reload is not reported", async () => {
  const state = workspaceState();
  await recordTrainings(state, ["CartPole"]);
  await recordTrainings(state, []);
  assert.deepEqual(await takeInterrupted(state), []);
});
