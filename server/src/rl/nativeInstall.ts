/** Whether native TensorFlow is installed, found without loading TensorFlow.js (the CLI and the server ask). */
import * as fs from "node:fs";
import * as path from "node:path";

/**
 * Whether `@tensorflow/tfjs-node` is installed and has its native addon built (without
 * loading it). `RL_PLAYGROUND_NO_NATIVE=1` makes the engine behave as if it were not.
 */
export function nativeInstalled(): boolean {
  if (process.env.RL_PLAYGROUND_NO_NATIVE === "1") return false;
  try {
    const pkg = path.dirname(require.resolve("@tensorflow/tfjs-node/package.json"));
    const lib = path.join(pkg, "lib");
    return fs.existsSync(lib) && fs.readdirSync(lib).some((d) => fs.existsSync(path.join(lib, d, "tfjs_binding.node")));
  } catch {
    return false;
  }
}

/** The one line a user sees when native TensorFlow is absent. */
export const NATIVE_ABSENT_NOTE =
  "native TensorFlow (@tensorflow/tfjs-node) is absent: training runs on WebAssembly; `npm run native` builds it for large policies";
