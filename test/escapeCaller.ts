/**
 * A caller to kill outright in processEscape.slow.ts, as the language server might be: checks
 * the file named by its argument, with a call time-out long enough for a step() that blocks.
 */
import { checkEnvironment } from "../server/src/api";

void checkEnvironment(process.argv[2], { backend: "wasm", episodes: 4, callTimeoutMs: 120_000 });
