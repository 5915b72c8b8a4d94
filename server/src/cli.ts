/**
 * `rl-playground train|check FILE`: the engine from a terminal (design §4).
 * Exit status: 0 success (warnings included), 1 the file has errors, 2 bad arguments.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import cliProgress from "cli-progress";
import { EngineError, checkEnvironment, trainEnvironment } from "./api";
import type { BackendChoice, CheckResult, Diagnostic, RewardSummary, UpdateMetrics } from "./protocol";
import type { TrainingHeartbeat } from "./rl/train";
import { DEFAULT_SETTINGS } from "./rl/settings";

const EXIT_OK = 0;
const EXIT_FILE_ERRORS = 1;
const EXIT_BAD_ARGUMENTS = 2;

function wholeNumber(min: number) {
  return (value: string) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`expected a whole number >= ${min}`);
    return n;
  };
}

const backendOption = () =>
  new Option("--backend <name>", "TensorFlow.js backend").choices(["auto", "tensorflow", "wasm", "cpu"]).default("auto");

export async function main(argv: string[]): Promise<number> {
  const program = new Command("rl-playground")
    .description("Train and check RL Playground environment files (*.rl.ts).")
    .exitOverride()
    .showHelpAfterError()
    .configureOutput({ writeErr: (s) => process.stderr.write(s) });
  let exitCode = EXIT_OK;

  program
    .command("train")
    .description("train a policy with REINFORCE until the environment is solved or the episode budget is spent")
    .argument("<file>", "environment file")
    .option(
      "--episodes <n>",
      `episode budget (default ${DEFAULT_SETTINGS.maxEpisodes}, or the file's training.maxEpisodes)`,
      wholeNumber(1),
    )
    .option("--seed <s>", "seed (default 0, or the file's training.seed)", wholeNumber(-(2 ** 31)))
    .addOption(backendOption())
    .option("--json", "print one JSON object per line: progress per update, then the summary")
    .option("--out <dir>", "run folder (default .rl-playground/runs/<name>-<time>/)")
    .action(async (file: string, opts: { episodes?: number; seed?: number; backend: BackendChoice; json?: boolean; out?: string }) => {
      exitCode = await train(file, opts);
    });

  program
    .command("check")
    .description("check the environment and probe the variance of the policy-gradient estimate")
    .argument("<file>", "environment file")
    .option("--episodes <n>", "probe exactly this many episodes (default: as many as fit in the time budget)", wholeNumber(2))
    .option("--seed <s>", "seed", wholeNumber(-(2 ** 31)))
    .addOption(backendOption())
    .option("--json", "print one JSON object")
    .action(async (file: string, opts: { episodes?: number; seed?: number; backend: BackendChoice; json?: boolean }) => {
      exitCode = await check(file, opts);
    });

  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_BAD_ARGUMENTS;
    if (error instanceof EngineError) {
      process.stderr.write(`rl-playground: ${error.message}\n`);
      return EXIT_FILE_ERRORS;
    }
    throw error;
  }
  return exitCode;
}

/** A missing file is a bad argument (exit 2), not an error in the file. */
function missingFile(file: string): boolean {
  if (fs.existsSync(file) && fs.statSync(file).isFile()) return false;
  process.stderr.write(`rl-playground: no such file: ${file}\n`);
  return true;
}

async function train(
  file: string,
  opts: { episodes?: number; seed?: number; backend: BackendChoice; json?: boolean; out?: string },
): Promise<number> {
  if (missingFile(file)) return EXIT_BAD_ARGUMENTS;
  const name = path.basename(file).replace(/\.rl\.ts$|\.ts$/, "");
  const runDir = path.resolve(opts.out ?? path.join(".rl-playground", "runs", `${name}-${timestamp()}`));
  const settings = {
    ...(opts.episodes !== undefined ? { maxEpisodes: opts.episodes } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
  };
  const bar =
    !opts.json && process.stderr.isTTY
      ? new cliProgress.SingleBar(
          {
            format: "{bar} {value}/{total} episodes | mean return (last 100) {mean} | {sps} steps/s | {backend}",
            hideCursor: true,
            stream: process.stderr,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
  let backend = "";
  let started = false;
  const controller = new AbortController();
  const onSigint = () => controller.abort();
  process.once("SIGINT", onSigint);
  const onProgress = (m: UpdateMetrics) => {
    if (opts.json) process.stdout.write(JSON.stringify({ type: "progress", ...m }) + "\n");
    else if (bar) {
      const payload = { mean: m.meanReturn100.toFixed(1), sps: Math.round(m.envSteps / Math.max(m.seconds, 1e-9)), backend };
      if (!started) {
        bar.start(m.episodeBudget, m.episodes, payload);
        started = true;
      } else bar.update(m.episodes, payload);
    }
  };
  // A slow environment takes minutes per update: the bar moves on heartbeats (design §4's
  // --json output stays one object per update and the summary).
  const onHeartbeat = (h: TrainingHeartbeat) => {
    const sps = Math.round(h.envSteps / Math.max(h.seconds, 1e-9));
    if (!bar) return;
    if (started) bar.update(h.episodes, { sps });
    else {
      bar.start(h.episodeBudget, h.episodes, { mean: "n/a", sps, backend });
      started = true;
    }
  };
  const result = await trainEnvironment(file, {
    backend: opts.backend,
    settings,
    runDir,
    onProgress,
    onHeartbeat,
    onBackend: (b) => (backend = b),
    signal: controller.signal,
  });
  process.removeListener("SIGINT", onSigint);
  bar?.stop();
  if (!result.ok) {
    if (result.reason === "stopped") {
      process.stderr.write("training stopped\n");
      return EXIT_OK;
    }
    printDiagnostics(result.diagnostics, opts.json);
    return EXIT_FILE_ERRORS;
  }
  const s = result.summary;
  if (opts.json) process.stdout.write(JSON.stringify(s) + "\n");
  else {
    const verdict = s.solved
      ? `solved after ${s.solvedAtEpisode} episodes`
      : s.reason === "stopped"
        ? "stopped"
        : "not solved (episode budget spent)";
    process.stdout.write(
      `${s.environment}: ${verdict}\n` +
        `  episodes ${s.episodes}, env steps ${s.envSteps}, ${s.seconds.toFixed(2)} s of training (${Math.round(s.envSteps / Math.max(s.seconds, 1e-9))} steps/s)\n` +
        `  mean return (last 100 episodes) ${s.meanReturn100.toFixed(2)}\n` +
        `  backend: "${s.backend}", seed ${s.seed}\n` +
        `  saved to ${s.runDir}\n`,
    );
  }
  return EXIT_OK;
}

async function check(file: string, opts: { episodes?: number; seed?: number; backend: BackendChoice; json?: boolean }): Promise<number> {
  if (missingFile(file)) return EXIT_BAD_ARGUMENTS;
  const result = await checkEnvironment(file, {
    backend: opts.backend,
    episodes: opts.episodes,
    settings: opts.seed !== undefined ? { seed: opts.seed } : {},
  });
  const hasErrors = result.diagnostics.some((d) => d.severity === "error");
  if (opts.json) process.stdout.write(JSON.stringify(checkJson(result)) + "\n");
  else {
    printDiagnostics(result.diagnostics, false, process.stdout);
    if (result.stats) {
      const g = result.stats.gradient;
      const f = (x: number | null) =>
        x === null ? "n/a" : Math.abs(x) >= 1e4 || (Math.abs(x) < 1e-3 && x !== 0) ? x.toExponential(3) : x.toFixed(4);
      process.stdout.write(
        `${path.relative(process.cwd(), result.file)}: ${result.diagnostics.length ? `${result.diagnostics.length} diagnostic(s)` : "no problems found"}\n` +
          `  probe: ${result.stats.episodes} episodes, return ${f(result.stats.returnMean)} ± ${f(result.stats.returnStd)} (backend ${result.backend})\n` +
          `  gradient: traceCov ${f(g.traceCov)}, gradNormSq ${f(g.gradNormSq)}, snr ${f(g.snr)}, noiseScale ${f(g.noiseScale)}, baselineReduction ${f(g.baselineReduction)}\n` +
          (result.stats.exact
            ? `  exact (enumerated): gradNormSq ${f(result.stats.exact.gradNormSq)}, traceCov ${f(result.stats.exact.traceCov)}\n`
            : "") +
          (result.summary ? rewardLines(result.summary, f) : ""),
      );
    }
  }
  return hasErrors ? EXIT_FILE_ERRORS : EXIT_OK;
}

/** Design §4's JSON: diagnostics without the file field (it is the checked file unless an import is at fault). */
function checkJson(r: CheckResult) {
  return {
    file: r.file,
    diagnostics: r.diagnostics.map((d) => ({
      code: d.code,
      severity: d.severity,
      message: d.message,
      range: d.range,
      ...(d.file !== r.file ? { file: d.file } : {}),
    })),
    stats: r.stats,
    summary: r.summary,
    backend: r.backend,
  };
}

function rewardLines(s: RewardSummary, f: (x: number | null) => string): string {
  const d = (x: { mean: number; std: number; min: number; max: number }) => `${f(x.mean)} ± ${f(x.std)} in [${f(x.min)}, ${f(x.max)}]`;
  return (
    `  reward per step ${d(s.rewards)}; return ${d(s.returns)}\n` +
    (s.terms.length
      ? `  reward terms (share of gradient variance): ${s.terms.map((t) => `${t.name} ${Math.round(t.varianceShare * 100)}%`).join(", ")}\n`
      : "")
  );
}

function printDiagnostics(diagnostics: Diagnostic[], json: boolean | undefined, stream: NodeJS.WritableStream = process.stderr): void {
  for (const d of diagnostics) {
    if (json) process.stdout.write(JSON.stringify({ type: "diagnostic", ...d }) + "\n");
    else
      stream.write(
        `${path.relative(process.cwd(), d.file)}:${d.range.start.line + 1}:${d.range.start.character + 1}: ${d.severity} ${d.code}: ${d.message}\n`,
      );
  }
}

function timestamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

/** Entry from `bin/rl-playground.js`. */
export function run(argv: string[]): void {
  main(argv).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(`rl-playground: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
      process.exit(EXIT_FILE_ERRORS);
    },
  );
}
