/**
 * `npm run bench`: the engine's speed and memory against its targets, per available backend, as a table.
 *
 *   env steps/s      environment steps per second of training until CartPole is solved
 *   solve s / eps    seconds of training and episodes to a mean return >= 475 over 100 episodes (median of 5 seeds)
 *   solved, stayed   seeds that solved; seeds whose 100-episode mean stayed >= 475 for 30 more updates
 *   stats/plain      an update with the gradient statistics over a plain autodiff update, same batch
 *   CLI wall         `rl-playground train examples/cartpole.rl.ts`, command to summary (median of 3)
 *   peak RSS         peak resident memory of that run: the larger of the CLI process and its runner process (median of 3)
 *   naive steps/s    one forward + backward per env step on one environment (the tfjs-examples agent's approach)
 *
 * Then: check latency over 50 successive checks per example on a warm pool, cancellation
 * latency (probe abort, training stop), and the native/wasm crossover by policy size.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { printBurstTable } from "./burst";
import { printDashboardTable } from "./dashboard";
import { printLspTable } from "./lsp";

const ROOT = path.resolve(__dirname, "..");
const CARTPOLE = path.join(ROOT, "examples", "cartpole.rl.ts");
const SEEDS = [0, 1, 2, 3, 4];
const AFTER_SOLVED_UPDATES = 30;

function node(args: string[]): { stdout: string; ms: number } {
  const start = performance.now();
  // A loaded machine runs these several times slower: the limit only catches a hang.
  const r = spawnSync(process.execPath, args, { cwd: ROOT, encoding: "utf8", timeout: 3_600_000 });
  if (r.status !== 0) throw new Error(`${args.join(" ")} failed: ${r.stderr}`);
  return { stdout: r.stdout, ms: performance.now() - start };
}
const tsx = (script: string, ...args: string[]) =>
  JSON.parse(
    node(["--import", "tsx", path.join(__dirname, script), ...args])
      .stdout.trim()
      .split("\n")
      .pop() as string,
  );
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};

/** The CLI under /usr/bin/time: wall time, and the peak RSS of the CLI process and of its runner process. */
function timedCli(args: string[]): { ms: number; peakRssMb: number } {
  const start = performance.now();
  const r = spawnSync(
    "/usr/bin/time",
    ["-f", "peak-rss-kb %M", process.execPath, path.join(ROOT, "bin", "rl-playground.js"), ...args, "--json"],
    {
      cwd: ROOT,
      encoding: "utf8",
    },
  );
  const ms = performance.now() - start;
  if (r.status !== 0) throw new Error(`rl-playground ${args.join(" ")} failed: ${r.stderr}`);
  const cliKb = Number(/peak-rss-kb (\d+)/.exec(r.stderr)?.[1]);
  const summary = JSON.parse(r.stdout.trim().split("\n").pop() as string);
  return { ms, peakRssMb: Math.max(cliKb / 1024, summary.peakRssMb) };
}

function nativeAvailable(): boolean {
  return spawnSync(process.execPath, ["-e", "require('@tensorflow/tfjs-node')"], { cwd: ROOT, stdio: "ignore" }).status === 0;
}

/** `BENCH_BACKENDS=wasm` and `BENCH_SECTIONS=checks,cancel` run a part (sections: training, checks, cancel, crossover). */
const backends = [...(nativeAvailable() ? ["tensorflow"] : []), "wasm", "cpu"].filter(
  (b) => !process.env.BENCH_BACKENDS || process.env.BENCH_BACKENDS.split(",").includes(b),
);
const runs = (section: string) => !process.env.BENCH_SECTIONS || process.env.BENCH_SECTIONS.split(",").includes(section);
const results: Record<string, Record<string, string | number>[]> = {};
const machine = `${os.cpus().length} cores (${os.cpus()[0]?.model ?? "?"}), Node ${process.version}, load ${os.loadavg()[0].toFixed(1)} at start, ${new Date().toISOString().slice(0, 16)}`;

/** Prints a table as soon as it is measured (a long run keeps what it measured) and saves all. */
function table(key: string, title: string, data: Record<string, string | number>[]): void {
  if (!data.length) return;
  results[key] = data;
  const columns = Object.keys(data[0]);
  const line = (cells: (string | number)[]) => `| ${cells.join(" | ")} |`;
  console.log(`${title}\n`);
  console.log(line(columns));
  console.log(line(columns.map(() => "---")));
  for (const r of data) console.log(line(columns.map((c) => r[c])));
  console.log("");
  fs.mkdirSync(path.join(__dirname, "results"), { recursive: true });
  fs.writeFileSync(path.join(__dirname, "results", "latest.json"), JSON.stringify({ machine, ...results }, null, 2) + "\n");
}

const rows: Record<string, string | number>[] = [];
for (const backend of runs("training") ? backends : []) {
  process.stderr.write(`bench: ${backend} ...\n`);
  const runs = SEEDS.map((seed) => tsx("trainOnce.ts", CARTPOLE, backend, String(seed), String(AFTER_SOLVED_UPDATES)));
  const solved = runs.filter((r) => r.solved);
  const stayed = solved.filter((r) => r.updatesAfterSolved >= AFTER_SOLVED_UPDATES && r.minAfterSolved >= 475);
  const overhead = tsx("statsOverhead.ts", CARTPOLE, backend);
  const naive = tsx("naiveAgent.ts", CARTPOLE, backend, "3000");
  const out = fs.mkdtempSync(path.join(os.tmpdir(), "rlp-bench-"));
  const cliRuns = [0, 1, 2].map(() => timedCli(["train", CARTPOLE, "--backend", backend, "--out", out]));
  const sps = median(solved.map((r) => r.stepsPerSecond));
  rows.push({
    backend,
    "env steps/s": Math.round(sps),
    "solve s": median(solved.map((r) => r.solveSeconds)).toFixed(2),
    "solve episodes": median(solved.map((r) => r.solveEpisodes)),
    "solve env steps": median(solved.map((r) => r.solveSteps)),
    solved: `${solved.length}/${runs.length}`,
    stayed: `${stayed.length}/${solved.length}`,
    "stats/plain": overhead.ratio.toFixed(2),
    "plain update ms": overhead.plainMs.toFixed(2),
    "CLI wall s": (median(cliRuns.map((r) => r.ms)) / 1000).toFixed(2),
    "peak RSS MB": Math.round(median(cliRuns.map((r) => r.peakRssMb))),
    "naive steps/s": Math.round(naive.stepsPerSecond),
    speedup: `${Math.round(sps / naive.stepsPerSecond)}x`,
  });
}

// On-type check latency: 50 successive checks per example on one warm pool (target: p95 < 300 ms on wasm).
const EXAMPLES = ["cartpole", "bandit", "gridworld", "reach"].map((n) => path.join(ROOT, "examples", `${n}.rl.ts`));
const CHECKS = 50;
const probeRows: Record<string, string | number>[] = [];
table("training", `Training CartPole-v1 (${machine})`, rows);
for (const backend of runs("checks") ? backends : []) {
  process.stderr.write(`bench: checks on ${backend} ...\n`);
  const times = tsx("checkLatency.ts", backend, String(CHECKS), ...EXAMPLES);
  for (const file of EXAMPLES) {
    const t = times[file];
    probeRows.push({
      backend,
      example: path.basename(file),
      episodes: t.episodes,
      "p50 ms (warm pool)": Math.round(t.warm50),
      "p95 ms (warm pool)": Math.round(t.warm95),
      "runners started": t.runners,
      "p50 ms (cold start)": Math.round(t.cold50),
    });
  }
}

// Cancellation latency: abort → result, probes (100 ms) and trainings (1 s).
const cancelRows: Record<string, string | number>[] = [];
table("checks", `Checks: \`checkEnvironment\` wall time, ${CHECKS} successive checks per example on a warm pool`, probeRows);
for (const backend of runs("cancel") ? backends : []) {
  process.stderr.write(`bench: cancellation on ${backend} ...\n`);
  const c = tsx("cancelLatency.ts", CARTPOLE, backend, "10", "3");
  cancelRows.push({
    backend,
    "probe abort ms (p50)": median(c.probeMs).toFixed(1),
    "probe abort ms (max)": Math.max(...c.probeMs).toFixed(1),
    "training stop ms (p50)": Math.round(median(c.trainMs)),
    "training stop ms (max)": Math.round(Math.max(...c.trainMs)),
    "stopped runs saved": `${c.trainSaved}/${c.trainMs.length}`,
  });
}

// The backend crossover (design §7): where native TensorFlow overtakes WebAssembly by policy size.
const crossoverRows: Record<string, string | number>[] = [];
table("cancellation", "Cancellation: abort → result", cancelRows);
if (runs("crossover") && nativeAvailable()) {
  process.stderr.write("bench: backend crossover ...\n");
  const sizes = ["16", "64", "96", "128", "192", "256"];
  const wasm = tsx("backendCrossover.ts", CARTPOLE, "wasm", ...sizes);
  const native = tsx("backendCrossover.ts", CARTPOLE, "tensorflow", ...sizes);
  for (const h of sizes)
    crossoverRows.push({
      "hidden [h, h]": h,
      parameters: wasm[h].parameters,
      "wasm steps/s": Math.round(wasm[h].stepsPerSecond),
      "tensorflow steps/s": Math.round(native[h].stepsPerSecond),
      faster: native[h].stepsPerSecond > wasm[h].stepsPerSecond ? "tensorflow" : "wasm",
    });
}

if (crossoverRows.length) {
  const { NATIVE_CROSSOVER_PARAMETERS } = require("../server/src/rl/backend") as { NATIVE_CROSSOVER_PARAMETERS: number };
  table(
    "crossover",
    `Backend crossover: CartPole training steps/s by policy size (auto switches at ${NATIVE_CROSSOVER_PARAMETERS} parameters)`,
    crossoverRows,
  );
}

// The editor's side: diagnostics and hover through LSP, and the dashboard's frame time.
if (runs("lsp")) printLspTable();
if (runs("burst")) printBurstTable();
if (runs("dashboard")) printDashboardTable();
