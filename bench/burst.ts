/**
 * A restored window: many environment files opened at once over LSP (`dist/server.js
 * --stdio`, or the build `RL_LSP_SERVER` names). Reports the time from the first didOpen to
 * the last file's complete diagnostics, the peak resident memory of the server's process
 * tree (the server, its runners, esbuild) and the most runner processes alive at once,
 * sampled every 50 ms, and how many valid files got a `transpile-error`.
 *
 *   node --import tsx bench/burst.ts [files=50] [example=cartpole]
 *
 * `printBurstTable()` runs it as a child process for `npm run bench`.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { descendants } from "../server/src/sandbox/runnerProcessTree";
import { LspSession } from "../test/lspSession";

export function printBurstTable(): void {
  process.stderr.write("bench: 50 files opened at once ...\n");
  const r = spawnSync(process.execPath, ["--import", "tsx", __filename], { stdio: ["ignore", "inherit", "inherit"], timeout: 600_000 });
  if (r.status !== 0) process.stderr.write(`bench: the burst benchmark failed (status ${r.status})\n`);
}

/** Resident memory of `pid` in MB (VmRSS), 0 when it is gone. */
function rssMb(pid: number): number {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "latin1"));
    return m ? Number(m[1]) / 1024 : 0;
  } catch {
    return 0;
  }
}

function isRunner(pid: number): boolean {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, "latin1").includes("runnerProcess.js");
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const count = Number(process.argv[2] ?? 50);
  const example = process.argv[3] ?? "cartpole";
  const lsp = await LspSession.start();
  const serverPid = lsp.child.pid as number;
  let peakMb = 0;
  let peakRunners = 0;
  const sampler = setInterval(() => {
    const tree = [serverPid, ...descendants(serverPid)];
    peakMb = Math.max(
      peakMb,
      tree.reduce((sum, pid) => sum + rssMb(pid), 0),
    );
    peakRunners = Math.max(peakRunners, tree.filter(isRunner).length);
  }, 50);
  try {
    const source = path.join(__dirname, "..", "examples", `${example}.rl.ts`);
    const files = Array.from({ length: count }, (_, k) => {
      const file = path.join(lsp.workspace, `${example}-${k}.rl.ts`);
      fs.copyFileSync(source, file);
      return file;
    });
    const start = performance.now();
    const uris = files.map((f) => lsp.open(f));
    const done = await Promise.all(
      uris.map(async (uri) => {
        const diagnostics = await lsp.diagnosticsFor(uri, 1, 600_000);
        return { ms: performance.now() - start, transpileErrors: diagnostics.filter((d) => d.code === "transpile-error").length };
      }),
    );
    const lastMs = Math.max(...done.map((d) => d.ms));
    const falseErrors = done.filter((d) => d.transpileErrors > 0).length;
    console.log(
      `${count} copies of ${example}.rl.ts opened at once (${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)} at the end)\n`,
    );
    console.log("| last diagnostics s | peak RSS of the server's tree MB | most runners alive | files with a transpile-error |");
    console.log("| --- | --- | --- | --- |");
    console.log(`| ${(lastMs / 1000).toFixed(1)} | ${Math.round(peakMb)} | ${peakRunners} | ${falseErrors} |\n`);
  } finally {
    clearInterval(sampler);
    await lsp.dispose();
  }
}

if (require.main === module)
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
