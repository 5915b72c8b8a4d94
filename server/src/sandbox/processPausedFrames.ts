/**
 * Where a runner thread is right now: its stack, taken by pausing it in the debugger. The
 * watchdog asks before it terminates a thread whose call did not return, so an endless loop
 * is placed on the loop and not on the function that contains it.
 *
 * The runner process's main thread opens an inspector session on itself (no `--inspect`
 * needed), attaches to the worker (`NodeWorker.enable`, then `attachedToWorker`), and
 * through `NodeWorker.sendMessageToWorker` sends `Debugger.enable` and `Debugger.pause`. The
 * worker's inspector handles messages on an interrupt, so they reach a thread busy in a loop;
 * V8 pauses at its next interrupt check, a loop's back edge (reported at the loop statement)
 * or a function's entry. `Debugger.enable` first reports every script the thread has parsed
 * (`scriptParsed`), which tells the bundle's script ids. The session detaches at once after
 * the pause: detaching resumes the thread, and a thread left paused could not be terminated
 * (`Worker.terminate` and `process.exit` both wait for it).
 */
import * as inspector from "node:inspector";
import { pathToFileURL } from "node:url";
import type { BundlePosition } from "./callGuard";

interface InspectorMessage {
  id?: number;
  method?: string;
  params?: {
    scriptId?: string;
    url?: string;
    callFrames?: Array<{ location: { scriptId: string; lineNumber: number; columnNumber: number } }>;
  };
}

/**
 * The frames of worker `threadId`'s stack that are in the script named `scriptUrl`,
 * innermost first, as bundle positions (1-based, as stack traces give them). Empty when the
 * thread did not pause within `waitMs` (stuck in a long built-in, say), or when the
 * inspector is not usable here. Never throws.
 */
export function pausedFrames(threadId: number, scriptUrl: string, waitMs: number): Promise<BundlePosition[]> {
  return new Promise((resolve) => {
    const session = new inspector.Session();
    const bundleScripts = new Set<string>();
    // V8 reports a script compiled under an absolute path as a file URL.
    const urls = new Set([scriptUrl, pathToFileURL(scriptUrl).href]);
    let sessionId: string | null = null;
    let settled = false;

    const end = (frames: BundlePosition[]) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      try {
        if (sessionId !== null) session.post("NodeWorker.detach", { sessionId });
        session.disconnect();
      } catch {
        // Already disconnected.
      }
      resolve(frames);
    };
    const timer = setTimeout(() => end([]), waitMs);

    const send = (id: number, method: string) =>
      session.post("NodeWorker.sendMessageToWorker", { sessionId, message: JSON.stringify({ id, method }) });

    session.on("NodeWorker.attachedToWorker", ({ params }) => {
      // The inspector numbers workers on its own (`workerId`); the title, `[worker <threadId>]`
      // for a worker without a name, tells ours from others (a module loader's thread, say).
      if (sessionId !== null || params.workerInfo.title !== `[worker ${threadId}]`) return;
      sessionId = params.sessionId;
      send(1, "Debugger.enable");
      send(2, "Debugger.pause");
    });
    session.on("NodeWorker.receivedMessageFromWorker", ({ params }) => {
      if (params.sessionId !== sessionId) return;
      let message: InspectorMessage;
      try {
        message = JSON.parse(params.message) as InspectorMessage;
      } catch {
        return;
      }
      if (
        message.method === "Debugger.scriptParsed" &&
        message.params?.url !== undefined &&
        urls.has(message.params.url) &&
        message.params.scriptId
      )
        bundleScripts.add(message.params.scriptId);
      else if (message.method === "Debugger.paused")
        end(
          (message.params?.callFrames ?? [])
            .filter((frame) => bundleScripts.has(frame.location.scriptId))
            .map(({ location }) => ({ line: location.lineNumber + 1, column: location.columnNumber + 1 })),
        );
    });
    session.on("NodeWorker.detachedFromWorker", ({ params }) => {
      if (params.sessionId === sessionId) end([]);
    });

    try {
      session.connect();
      session.post("NodeWorker.enable", { waitForDebuggerOnStart: false }, (error) => error && end([]));
    } catch {
      end([]);
    }
  });
}
