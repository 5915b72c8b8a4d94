/**
 * The language server as an editor feels it, through LSP over stdio with a warm
 * server, backend wasm:
 *
 *   edit → diagnostics   time from the last didChange of a burst of edits (5 edits, 30 ms
 *                        apart) to the publishDiagnostics of that version; debounce included
 *                        (target p95 < 500 ms)
 *   stale error gone     from the edit that removes a transpile error to the first publish of
 *                        the new text without it (ahead of its check; target < the debounce)
 *   hover in training    hover latency while a CartPole training runs in the background
 *                        (target p95 < 50 ms)
 *   stop → trainingEnded from a stop request to `trainingEnded`, which the server sends once
 *                        the run has ended (its runner exited): CartPole, which stops at its
 *                        next step and saves, and an environment whose 3 s step outlasts the
 *                        grace, so its runner is killed at the deadline (target < 1000 ms)
 *
 * `node --import tsx bench/lsp.ts stop` measures the stops only.
 * `printLspTable()` runs this file as a child process (the measurement is asynchronous,
 * the benchmark script is not) and prints its table.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { type StartTrainingResult } from "../server/src/protocol";
import {
  StartTrainingRequest,
  StopTrainingRequest,
  TrainingEndedNotification,
  TrainingProgressNotification,
} from "../server/src/lspMethods";
import { CHANGE_DEBOUNCE_MS } from "../server/src/lsp/documentChecks";
import { delay, LspSession } from "../test/lspSession";

const EXAMPLES = ["bandit", "cartpole", "gridworld", "reach"];
const BURSTS = 12;
const EDITS_PER_BURST = 5;
const EDIT_GAP_MS = 30;
const HOVERS = 60;

export function printLspTable(): void {
  process.stderr.write("bench: language server ...\n");
  const r = spawnSync(process.execPath, ["--import", "tsx", __filename], { stdio: ["ignore", "inherit", "inherit"], timeout: 600_000 });
  if (r.status !== 0) process.stderr.write(`bench: the language-server benchmark failed (status ${r.status})\n`);
}

const percentile = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

async function editLatencies(lsp: LspSession, name: string): Promise<number[]> {
  const file = path.join(lsp.workspace, `${name}.rl.ts`);
  fs.copyFileSync(path.join(__dirname, "..", "examples", `${name}.rl.ts`), file);
  const uri = lsp.open(file);
  await lsp.diagnosticsFor(uri, 1, 60_000);
  const original = lsp.text(uri);
  const latencies: number[] = [];
  for (let burst = 0; burst < BURSTS; burst++) {
    let version = 0;
    let sentAt = 0;
    for (let edit = 0; edit < EDITS_PER_BURST; edit++) {
      // A trailing comment that changes with every keystroke: a new text, the same environment.
      version = lsp.change(uri, `${original}\n// edit ${burst}.${edit}\n`);
      sentAt = performance.now();
      if (edit < EDITS_PER_BURST - 1) await delay(EDIT_GAP_MS);
    }
    await lsp.diagnosticsFor(uri, version, 60_000);
    latencies.push(performance.now() - sentAt);
    await delay(200);
  }
  lsp.close(uri);
  return latencies;
}

/**
 * From the edit that removes a transpile error to the first publish without it: the error is
 * withdrawn ahead of the new text's check (which waits for the debounce and a runner).
 */
async function staleErrorWithdrawals(lsp: LspSession): Promise<number[]> {
  const file = path.join(lsp.workspace, "typing-cartpole.rl.ts");
  fs.copyFileSync(path.join(__dirname, "..", "examples", "cartpole.rl.ts"), file);
  const uri = lsp.open(file);
  await lsp.diagnosticsFor(uri, 1, 60_000);
  const fixed = lsp.text(uri);
  const broken = fixed.replace("return [[...this.state], {}];", "return [[...this.state], {};");
  if (broken === fixed) throw new Error("the CartPole example no longer has the return the benchmark breaks");
  const hasError = (p: { diagnostics: { code?: string | number }[] }) => p.diagnostics.some((d) => d.code === "transpile-error");
  const latencies: number[] = [];
  for (let round = 0; round < BURSTS; round++) {
    const brokenVersion = lsp.change(uri, broken);
    await lsp.waitFor(
      "the transpile error",
      () => lsp.diagnostics.some((p) => p.uri === uri && p.version === brokenVersion && hasError(p)),
      60_000,
    );
    const seen = lsp.diagnostics.length;
    const fixedVersion = lsp.change(uri, fixed);
    const sentAt = performance.now();
    await lsp.waitFor(
      "the error withdrawn",
      () => lsp.diagnostics.slice(seen).some((p) => p.uri === uri && p.version === fixedVersion && !hasError(p)),
      60_000,
    );
    latencies.push(performance.now() - sentAt);
    await lsp.diagnosticsFor(uri, fixedVersion, 60_000);
  }
  lsp.close(uri);
  return latencies;
}

/** Hover latencies while CartPole trains. */
async function hoversDuringTraining(lsp: LspSession): Promise<number[]> {
  const file = path.join(lsp.workspace, "training-cartpole.rl.ts");
  fs.copyFileSync(path.join(__dirname, "..", "examples", "cartpole.rl.ts"), file);
  const uri = lsp.open(file);
  await lsp.diagnosticsFor(uri, 1, 60_000);
  const { runId } = await lsp.connection.sendRequest<StartTrainingResult>(StartTrainingRequest.type.method, {
    uri,
    settings: { maxEpisodes: 1_000_000 },
  });
  await lsp.waitFor("training progress", () => progressOf(lsp, runId) > 0, 60_000);
  const line = lsp
    .text(uri)
    .split("\n")
    .findIndex((l) => l.includes("  step(action"));
  const latencies: number[] = [];
  for (let i = 0; i < HOVERS; i++) {
    const start = performance.now();
    const hover = await lsp.hover(uri, line, 3);
    latencies.push(performance.now() - start);
    if (!hover) throw new Error("no hover during training");
    await delay(20);
  }
  await stopLatency(lsp, runId);
  lsp.close(uri);
  return latencies;
}

const progressOf = (lsp: LspSession, runId: string) =>
  lsp.notificationsOf<{ runId: string }>(TrainingProgressNotification.type.method).filter((p) => p.runId === runId).length;

/** From the stop request to `trainingEnded` (sent once the run's runner has exited). */
async function stopLatency(lsp: LspSession, runId: string): Promise<number> {
  const stopAsked = performance.now();
  await lsp.connection.sendRequest(StopTrainingRequest.type.method, { runId });
  await lsp.waitFor(
    "trainingEnded",
    () => lsp.notificationsOf<{ runId: string }>(TrainingEndedNotification.type.method).some((e) => e.runId === runId),
    10_000,
  );
  return performance.now() - stopAsked;
}

/** One-step episodes whose step sleeps `stepMs` (no CPU, so the watchdog does not stop it). */
const sleepyStep = (stepMs: number) => `import { Discrete, Environment } from "rl-playground";
export default class SleepyStep extends Environment<number, number> {
  observationSpace = new Discrete(1);
  actionSpace = new Discrete(2);
  maxEpisodeSteps = 1;
  reset(seed?: number): [number, Record<string, unknown>] {
    super.reset(seed);
    return [0, {}];
  }
  step(action: number): [number, number, boolean, boolean, Record<string, unknown>] {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ${stepMs});
    return [0, action, true, false, {}];
  }
}
export const training = { episodesPerUpdate: 2, maxEpisodes: 100_000, policy: { hidden: [] } };
`;

/** Stops of `runs` trainings of `source` (not opened: no check runs it), each after `updates` updates. */
async function stopLatencies(lsp: LspSession, name: string, source: string, runs: number, updates: number): Promise<number[]> {
  const file = path.join(lsp.workspace, `stop-${name}.rl.ts`);
  fs.writeFileSync(file, source);
  const uri = pathToFileURL(file).toString();
  const latencies: number[] = [];
  for (let i = 0; i < runs; i++) {
    const { runId } = await lsp.connection.sendRequest<StartTrainingResult>(StartTrainingRequest.type.method, {
      uri,
      settings: { maxEpisodes: 1_000_000 },
    });
    await lsp.waitFor(`${updates} updates`, () => progressOf(lsp, runId) >= updates, 60_000);
    latencies.push(await stopLatency(lsp, runId));
  }
  return latencies;
}

const STOP_RUNS = 5;

async function stopRows(lsp: LspSession): Promise<Record<string, string | number>[]> {
  const cartpole = fs.readFileSync(path.join(__dirname, "..", "examples", "cartpole.rl.ts"), "utf8");
  const cases: Array<[string, string, string, number]> = [
    ["CartPole (stops at its next step, saves)", "cartpole", cartpole.replace(/^\s*rewardThreshold = .*$/m, ""), 3],
    ["3 s step (runner killed at the deadline)", "sleepy", sleepyStep(3000), 1],
  ];
  const rows: Record<string, string | number>[] = [];
  for (const [what, name, source, updates] of cases) {
    const ms = await stopLatencies(lsp, name, source, STOP_RUNS, updates);
    rows.push({
      measure: `stop → trainingEnded, ${what}`,
      n: ms.length,
      "p50 ms": Math.round(percentile(ms, 50)),
      "p95 ms": Math.round(percentile(ms, 95)),
      target: "< 1000",
    });
  }
  return rows;
}

/** Resident memory of a process in MB (VmRSS). */
function rssMb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "latin1"));
  return m ? Number(m[1]) / 1024 : NaN;
}

/** The server's start: its bundle's size (without the TypeScript chunk it loads on the first parse) and its memory after `initialize`. */
async function startRows(): Promise<Record<string, string | number>[]> {
  const dist = path.join(__dirname, "..", "dist");
  const mb = (file: string) => fs.statSync(path.join(dist, file)).size / 1024 / 1024;
  const rss: number[] = [];
  for (let k = 0; k < 3; k++) {
    const lsp = await LspSession.start();
    try {
      rss.push(rssMb(lsp.child.pid!));
    } finally {
      await lsp.dispose();
    }
  }
  return [
    {
      measure: "dist/server.js MB (dist/typescript.js, loaded on the first parse)",
      n: 1,
      "p50 ms": `${mb("server.js").toFixed(2)} (${mb("typescript.js").toFixed(1)})`,
      "p95 ms": "",
      target: "< 3",
    },
    {
      measure: "server RSS MB after initialize, before the first parse",
      n: rss.length,
      "p50 ms": Math.round(percentile(rss, 50)),
      "p95 ms": Math.round(Math.max(...rss)),
      target: "< 70",
    },
  ];
}

async function main(): Promise<void> {
  const stopsOnly = process.argv[2] === "stop";
  const starts = stopsOnly ? [] : await startRows();
  const lsp = await LspSession.start();
  lsp.configure({ backend: "wasm" });
  const rows: Record<string, string | number>[] = [];
  try {
    if (!stopsOnly) {
      for (const name of EXAMPLES) {
        const ms = await editLatencies(lsp, name);
        rows.push({
          measure: `edit → diagnostics, ${name}`,
          n: ms.length,
          "p50 ms": Math.round(percentile(ms, 50)),
          "p95 ms": Math.round(percentile(ms, 95)),
          target: "p95 < 500",
        });
      }
      const withdrawn = await staleErrorWithdrawals(lsp);
      rows.push({
        measure: "edit that removes a transpile error → published without it, cartpole",
        n: withdrawn.length,
        "p50 ms": Math.round(percentile(withdrawn, 50)),
        "p95 ms": Math.round(percentile(withdrawn, 95)),
        target: `< ${CHANGE_DEBOUNCE_MS} (before the check)`,
      });
      const hovers = await hoversDuringTraining(lsp);
      rows.push({
        measure: "hover while CartPole trains",
        n: hovers.length,
        "p50 ms": percentile(hovers, 50).toFixed(1),
        "p95 ms": percentile(hovers, 95).toFixed(1),
        target: "p95 < 50",
      });
    }
    rows.push(...(await stopRows(lsp)));
    rows.push(...starts);
  } finally {
    await lsp.dispose();
  }
  const columns = Object.keys(rows[0]);
  const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  const load = os.loadavg()[0].toFixed(1);
  console.log(
    `Language server over stdio, warm, backend wasm (bursts of ${EDITS_PER_BURST} edits ${EDIT_GAP_MS} ms apart; debounce ${CHANGE_DEBOUNCE_MS} ms included; ${os.cpus().length} cores, load average ${load} at the end)\n`,
  );
  console.log(line(columns));
  console.log(line(columns.map(() => "---")));
  for (const r of rows) console.log(line(columns.map((c) => r[c])));
  console.log("");
}

if (require.main === module)
  main().catch((error: unknown) => {
    console.error(error);
    process.exit(1);
  });
