/**
 * Finding `@tensorflow/tfjs-node` the way vscode-eslint finds the workspace's `eslint`
 * (design §7): from `rlPlayground.tfjsNodePath`, else from a workspace folder's
 * `node_modules`, else next to the server. A `.vsix` cannot ship libtensorflow, so it is
 * the user's to install. The runner processes find it through `NODE_PATH`, which Node
 * reads at their start (the server's own module resolution is unaffected).
 */
import * as fs from "node:fs";
import * as path from "node:path";

export interface NativeBackendLocation {
  /** The `node_modules` folder that holds `@tensorflow/tfjs-node`, or null when none does. */
  nodeModules: string | null;
  /** In words, for the log and the status: where it was found or where it was looked for. */
  reason: string;
}

const PACKAGE = "@tensorflow/tfjs-node";
/** The server's own NODE_PATH, kept behind the entry we add. */
const INHERITED_NODE_PATH = process.env.NODE_PATH ?? "";

export function locateTfjsNode(folders: string[], settingPath: string): NativeBackendLocation {
  const looked: string[] = [];
  if (settingPath) {
    const base = path.isAbsolute(settingPath) ? settingPath : path.resolve(folders[0] ?? process.cwd(), settingPath);
    for (const candidate of [path.dirname(path.dirname(base)), base, path.join(base, "node_modules")]) {
      if (isTfjsNode(path.join(candidate, PACKAGE)))
        return { nodeModules: candidate, reason: `${PACKAGE} from rlPlayground.tfjsNodePath (${base})` };
    }
    looked.push(`rlPlayground.tfjsNodePath (${base})`);
  }
  for (const folder of folders) {
    const found = resolveFrom(folder);
    if (found) return { nodeModules: found, reason: `${PACKAGE} from the workspace (${found})` };
    looked.push(folder);
  }
  const beside = resolveFrom(__dirname);
  if (beside) return { nodeModules: beside, reason: `${PACKAGE} installed with the extension (${beside})` };
  return { nodeModules: null, reason: `${PACKAGE} not found (looked in ${looked.length ? looked.join(", ") : "no workspace folder"})` };
}

/** The runners start with this NODE_PATH entry, so that `require("@tensorflow/tfjs-node")` finds the user's copy. */
export function exposeToRunners(location: NativeBackendLocation): void {
  const entries = [location.nodeModules, ...INHERITED_NODE_PATH.split(path.delimiter)].filter((e): e is string => !!e);
  process.env.NODE_PATH = entries.join(path.delimiter);
}

function resolveFrom(dir: string): string | null {
  try {
    const manifest = require.resolve(`${PACKAGE}/package.json`, { paths: [dir] });
    return path.dirname(path.dirname(path.dirname(manifest)));
  } catch {
    return null;
  }
}

function isTfjsNode(dir: string): boolean {
  try {
    const manifest = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { name?: unknown };
    return manifest.name === PACKAGE;
  } catch {
    return false;
  }
}
