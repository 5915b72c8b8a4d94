/**
 * Callbacks that user code schedules run outside any call the engine makes: a timer set at
 * the top level, an immediate, a tick, a microtask, a promise reaction (an `await` in an
 * async function included), an fs callback. The engine is synchronous but for a few awaits
 * (the backend, saving a run, `settled()`), and these callbacks run there, so an endless
 * loop in one would hang the job with no user call to time out.
 *
 * An async hook marks every async resource created while user code runs (a user call or a
 * user callback) as the user's, with the first stack frame of the user's files that created
 * it; when its callback runs, the guard records a `callback` call scheduled there, so the
 * watchdog times it out like any other call and the failure is placed on the line that
 * scheduled it. Resources the engine creates itself are never the user's, so the engine's
 * own waiting (a WebAssembly compile, a file write) is never counted.
 */
import { createHook } from "node:async_hooks";
import type { BundleMap } from "./bundleMap";
import type { BundlePosition, CallGuard } from "./callGuard";

export interface CallbackWatch {
  /** Stop marking and timing (at the job's end; the hook is per thread). */
  stop(): void;
}

export function watchUserCallbacks(guard: CallGuard, map: BundleMap): CallbackWatch {
  /** The user's resources by async id, with where they were scheduled (null when not known). */
  const scheduled = new Map<number, BundlePosition | null>();
  /** Nesting of user callbacks being run (a promise reaction inside a tick, say). */
  let depth = 0;

  const scheduledAt = (): BundlePosition | null => {
    // User code may have replaced Error.prepareStackTrace: `stack` then need not be a string,
    // and its throw must not escape a hook (an exception there ends the thread).
    try {
      const holder: { stack?: unknown } = {};
      Error.captureStackTrace(holder);
      if (typeof holder.stack !== "string") return null;
      for (const frame of map.framesOf(holder.stack)) if (map.placeOf(frame)) return frame;
    } catch {
      // No place: the failure is placed on the class.
    }
    return null;
  };

  const hook = createHook({
    init(asyncId) {
      if (guard.inUserCode) scheduled.set(asyncId, scheduledAt());
    },
    before(asyncId) {
      const at = scheduled.get(asyncId);
      if (at === undefined) return;
      depth++;
      guard.enterCallback(at);
    },
    after(asyncId) {
      if (!scheduled.has(asyncId) || depth === 0) return;
      depth--;
      if (depth === 0) guard.exit();
    },
    destroy(asyncId) {
      scheduled.delete(asyncId);
    },
  });
  hook.enable();
  return {
    stop() {
      hook.disable();
      scheduled.clear();
      if (depth > 0) guard.exit();
      depth = 0;
    },
  };
}
