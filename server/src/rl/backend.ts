/**
 * Backend choice (design §7). `auto` picks by the policy's size: under the measured
 * crossover WebAssembly (SIMD) is faster, over it native TensorFlow through
 * `@tensorflow/tfjs-node` when it loads; the plain JavaScript `cpu` backend is the last
 * resort. A forced choice that cannot load is an error. Every choice comes with its reason.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { BackendChoice, BackendName } from "../protocol";
import { tf } from "./tf";
import { nativeInstalled } from "./nativeInstall";

export class BackendError extends Error {}

/**
 * Policy size (trainable parameters) from which native TensorFlow trains faster than
 * WebAssembly: wasm pays less per operation, native TensorFlow less per multiply-add.
 * `npm run bench` measures it: environment steps/s of CartPole training (its first 64
 * episodes, 16 per update) with two hidden layers of h units, one backend per process, on
 * this project's 2-core machine (Node 20, tfjs 4.22, libtensorflow 2.9.1), heavily loaded
 * by other work at the time (absolute numbers low, the order stable across two runs):
 *
 *     h   parameters   wasm steps/s   tensorflow steps/s
 *    16          386           1402                  541
 *    64        4,610           1491                  504
 *    96        9,986            581                  596
 *   128       17,410        375–588            473–1748
 *   192       38,402            197                 1625
 *   256       67,586            245                  583
 *   512      266,242             58                  431
 */
export const NATIVE_CROSSOVER_PARAMETERS = 10_000;

export interface BackendDecision {
  name: BackendName;
  /** One line for the summary, the CLI and the status bar. */
  reason: string;
}

/** Parameters of an MLP policy with these layer sizes (+ log σ per Box action dimension). */
export function policyParameters(sizes: number[], gaussianDims = 0): number {
  let n = gaussianDims;
  for (let l = 0; l + 1 < sizes.length; l++) n += (sizes[l] + 1) * sizes[l + 1];
  return n;
}

/** 1234 → "1.2k", 56789 → "57k". */
export function shortCount(n: number): string {
  if (n < 1000) return String(n);
  return n < 10_000 ? `${(n / 1000).toFixed(1)}k` : `${Math.round(n / 1000)}k`;
}

/**
 * Pick and initialise a backend. `parameters` is the policy's size when known (auto picks
 * by it); without it auto prefers WebAssembly (the faster one for the examples' policies).
 */
export async function decideBackend(choice: BackendChoice, parameters?: number): Promise<BackendDecision> {
  tf.enableProdMode();
  const size = parameters === undefined ? null : `a policy of ${shortCount(parameters)} parameters`;
  const crossover = shortCount(NATIVE_CROSSOVER_PARAMETERS);
  if (choice === "tensorflow") {
    const why = await tryNative();
    if (why === null) return { name: "tensorflow", reason: "tensorflow: forced (--backend tensorflow)" };
    throw new BackendError(
      `the native TensorFlow backend is not available (${why}). ` +
        "Install @tensorflow/tfjs-node (plain `npm ci` with internet access, or `npm run native` offline), or use --backend wasm.",
    );
  }
  if (choice === "auto" && parameters !== undefined && parameters >= NATIVE_CROSSOVER_PARAMETERS) {
    const why = await tryNative();
    if (why === null) return { name: "tensorflow", reason: `tensorflow: ${size} is over the ${crossover} crossover` };
    const fallback = await decideBackend("wasm");
    return { ...fallback, reason: `${fallback.name}: ${size} would run faster on native TensorFlow, which is ${why}` };
  }
  if (choice === "auto" || choice === "wasm") {
    const why = await tryWasm();
    if (why === null)
      return {
        name: "wasm",
        reason:
          choice === "wasm"
            ? "wasm: forced (--backend wasm)"
            : size
              ? `wasm: ${size} is under the ${crossover} crossover`
              : `wasm: the faster backend for policies under ${crossover} parameters`,
      };
    if (choice === "wasm") throw new BackendError(`the WebAssembly backend is not available (${why})`);
    if (await tf.setBackend("cpu")) return { name: "cpu", reason: `cpu: WebAssembly is not available (${why})` };
  }
  if (await tf.setBackend("cpu")) return { name: "cpu", reason: choice === "cpu" ? "cpu: forced (--backend cpu)" : "cpu" };
  throw new BackendError("no TensorFlow.js backend could be initialised");
}

/** The backend's name only (benchmarks, tests). */
export async function selectBackend(choice: BackendChoice, parameters?: number): Promise<BackendName> {
  return (await decideBackend(choice, parameters)).name;
}

/** null when native TensorFlow is now the backend, else why not. */
async function tryNative(): Promise<string | null> {
  if (!nativeInstalled()) return "not installed";
  // TensorFlow's C++ logging goes straight to stderr unless told otherwise (read at load).
  process.env.TF_CPP_MIN_LOG_LEVEL ??= "2";
  try {
    require("@tensorflow/tfjs-node");
    return (await tf.setBackend("tensorflow")) ? null : "installed but did not initialise";
  } catch (error) {
    return `installed but failed to load: ${firstLine(error)}`;
  }
}

async function tryWasm(): Promise<string | null> {
  try {
    const wasm = require("@tensorflow/tfjs-backend-wasm") as typeof import("@tensorflow/tfjs-backend-wasm");
    // Bundled (dist/, the .vsix): the build copies the wasm binaries next to the bundle.
    if (fs.existsSync(path.join(__dirname, "tfjs-backend-wasm.wasm"))) wasm.setWasmPaths(__dirname + path.sep);
    return (await tf.setBackend("wasm")) ? null : "it did not initialise";
  } catch (error) {
    return firstLine(error);
  }
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}
