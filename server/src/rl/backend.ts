/**
 * Backend choice (design §7): native TensorFlow through `@tensorflow/tfjs-node` when it
 * loads, else WebAssembly (SIMD where available), else the plain JavaScript `cpu`
 * backend. `choice` forces one; forcing one that cannot load is an error.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import type { BackendChoice, BackendName } from "../protocol";
import { tf } from "./tf";

export class BackendError extends Error {}

export async function selectBackend(choice: BackendChoice): Promise<BackendName> {
  tf.enableProdMode();
  const reasons: string[] = [];
  if (choice === "auto" || choice === "tensorflow") {
    // TensorFlow's C++ logging goes straight to stderr unless told otherwise (read at load).
    process.env.TF_CPP_MIN_LOG_LEVEL ??= "2";
    try {
      require("@tensorflow/tfjs-node");
      if (await tf.setBackend("tensorflow")) return "tensorflow";
      reasons.push("tensorflow: the backend did not initialise");
    } catch (error) {
      reasons.push(`tensorflow: ${firstLine(error)}`);
    }
    if (choice === "tensorflow")
      throw new BackendError(
        `the native TensorFlow backend is not available (${reasons.join("; ")}). ` +
          "Install @tensorflow/tfjs-node (plain `npm ci` with internet access, or `npm run native` offline), or use --backend wasm.",
      );
  }
  if (choice === "auto" || choice === "wasm") {
    try {
      const wasm = require("@tensorflow/tfjs-backend-wasm") as typeof import("@tensorflow/tfjs-backend-wasm");
      // Bundled (dist/, the .vsix): the build copies the wasm binaries next to the bundle.
      if (fs.existsSync(path.join(__dirname, "tfjs-backend-wasm.wasm"))) wasm.setWasmPaths(__dirname + path.sep);
      if (await tf.setBackend("wasm")) return "wasm";
      reasons.push("wasm: the backend did not initialise");
    } catch (error) {
      reasons.push(`wasm: ${firstLine(error)}`);
    }
    if (choice === "wasm") throw new BackendError(`the WebAssembly backend is not available (${reasons.join("; ")})`);
  }
  if (await tf.setBackend("cpu")) return "cpu";
  throw new BackendError(`no TensorFlow.js backend could be initialised (${reasons.join("; ")})`);
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}
