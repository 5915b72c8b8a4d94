/**
 * What one job may leave behind in a runner thread that serves many: a changed global or
 * built-in (`Math.random = ...`, a patched prototype), a pending timer, an undisposed
 * tensor. The thread compares before and after every job; a job that left something is the
 * thread's last (the runner is retired and a fresh one takes its place), so each job starts
 * in the state a fresh thread would have.
 */
import { tf } from "../rl/tf";

/** Objects user code could patch, and whose own properties we compare by identity. */
const WATCHED: [string, object][] = [
  ["globalThis", globalThis],
  ["Object", Object],
  ["Object.prototype", Object.prototype],
  ["Function.prototype", Function.prototype],
  ["Array", Array],
  ["Array.prototype", Array.prototype],
  ["Math", Math],
  ["JSON", JSON],
  ["Number", Number],
  ["Number.prototype", Number.prototype],
  ["String.prototype", String.prototype],
  ["Promise", Promise],
  ["Promise.prototype", Promise.prototype],
  ["Reflect", Reflect],
  ["Map.prototype", Map.prototype],
  ["Set.prototype", Set.prototype],
  ["Float32Array.prototype", Float32Array.prototype],
  ["Float64Array.prototype", Float64Array.prototype],
  ["Date", Date],
  ["Error", Error],
];

export interface ThreadState {
  properties: Map<string, unknown>;
  resources: string;
  tensors: number;
}

export function threadState(): ThreadState {
  const properties = new Map<string, unknown>();
  for (const [name, object] of WATCHED)
    for (const key of Reflect.ownKeys(object)) {
      const d = Object.getOwnPropertyDescriptor(object, key);
      properties.set(`${name}.${String(key)}`, d && ("value" in d ? d.value : d.get));
    }
  return { properties, resources: activeResources(), tensors: tf.memory().numTensors };
}

/** What changed between `before` and now, or null when nothing did. */
export function leftBehind(before: ThreadState): string | null {
  const now = threadState();
  for (const [key, value] of now.properties) if (!Object.is(before.properties.get(key), value)) return `${key} was changed`;
  for (const key of before.properties.keys()) if (!now.properties.has(key)) return `${key} was deleted`;
  if (now.resources !== before.resources) return `pending handles changed (${before.resources} → ${now.resources})`;
  if (now.tensors !== before.tensors) return `${now.tensors - before.tensors} tensors were left`;
  return null;
}

/** Timers, sockets and the like this thread keeps alive, as a sorted list of kinds. */
function activeResources(): string {
  const info = (process as unknown as { getActiveResourcesInfo?: () => string[] }).getActiveResourcesInfo?.() ?? [];
  return [...info].sort().join(",");
}
