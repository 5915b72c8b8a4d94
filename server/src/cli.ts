/**
 * `rl-playground train|check FILE`: the engine from a terminal (design §4).
 * Exit status: 0 success (warnings included), 1 the file has errors, 2 bad arguments.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { Command, CommanderError, InvalidArgumentError, Option } from "commander";
import {
  DEFAULT_SETTINGS,
  EngineError,
  MAX_PROBE_EPISODES,
  NATIVE_ABSENT_NOTE,
  RunDirError,
  checkEnvironment,
  fuzzEnvironment,
  nativeInstalled,
  startTraining,
  type TrainResult,
} from "./api";
import type { BackendChoice, BackendName, CheckResult, Diagnostic, RewardSummary, SnrAt, UpdateMetrics } from "./protocol";
import { addSetting } from "./settingOverrides";
import { addSweepCommand } from "./sweepCommand";
import { TrainingBar } from "./trainingBar";

const EXIT_OK = 0;
const EXIT_FILE_ERRORS = 1;
const EXIT_BAD_ARGUMENTS = 2;

/**
 * Largest episode budget `train` accepts, and largest exact probe `check` runs: the probe's
 * episodes are one batch of live environments, held to the engine's probe limit whatever
 * the file (a count this file's episode length cannot hold is its `resource-limit`).
 */
const MAX_TRAIN_EPISODES = 100_000_000;
const MAX_CHECK_EPISODES = MAX_PROBE_EPISODES;
const SEED_RANGE = 2 ** 31;

/** A whole number in [min, max], written plainly (no "1e5", no "0x10"); else a clear argument error. */
function wholeNumber(min: number, max: number) {
  return (value: string) => {
    const n = Number(value);
    if (!/^-?\d+$/.test(value.trim()) || !Number.isSafeInteger(n))
      throw new InvalidArgumentError(`expected a whole number from ${min} to ${max}, got "${value}"`);
    if (n < min || n > max) throw new InvalidArgumentError(`${value} is out of range: expected ${min} to ${max.toLocaleString("en-US")}`);
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
      wholeNumber(1, MAX_TRAIN_EPISODES),
    )
    .option("--seed <s>", "seed (default 0, or the file's training.seed)", wholeNumber(-SEED_RANGE, SEED_RANGE - 1))
    .addOption(backendOption())
    .option("--json", "print one JSON object per line: progress per update, then the summary")
    .option("--out <dir>", "run folder (default .rl-playground/runs/<name>-<time>/)")
    .option(
      "--set <key=value>",
      "override a training setting (repeatable), e.g. --set learningRate=0.01 --set policy.hidden=[16]",
      addSetting,
    )
    .action(
      async (
        file: string,
        opts: { episodes?: number; seed?: number; backend: BackendChoice; json?: boolean; out?: string; set?: Record<string, unknown> },
      ) => {
        exitCode = await train(file, opts);
      },
    );

  addSweepCommand(program, (code) => (exitCode = code));

  program
    .command("check")
    .description("check the environment and probe the variance of the policy-gradient estimate")
    .argument("<file>", "environment file")
    .option(
      "--episodes <n>",
      "probe exactly this many episodes (default: the probe's fixed sample, 256 episodes in batches of episodesPerUpdate)",
      wholeNumber(2, MAX_CHECK_EPISODES),
    )
    .option("--seed <s>", "seed", wholeNumber(-SEED_RANGE, SEED_RANGE - 1))
    .addOption(backendOption())
    .option("--json", "print one JSON object")
    .action(async (file: string, opts: { episodes?: number; seed?: number; backend: BackendChoice; json?: boolean }) => {
      exitCode = await check(file, opts);
    });

  program
    .command("fuzz")
    .description("play episodes of random actions looking for failures the policy's own episodes would not reach")
    .argument("<file>", "environment file")
    .option("--episodes <n>", "episodes to play, one per seed (default 1000)", wholeNumber(1, MAX_CHECK_EPISODES), 1000)
    .option("--seed <s>", "the first episode's seed (default 0)", wholeNumber(-SEED_RANGE, SEED_RANGE - 1))
    .addOption(backendOption())
    .option("--json", "print one JSON object")
    .action(async (file: string, opts: { episodes: number; seed?: number; backend: BackendChoice; json?: boolean }) => {
      exitCode = await fuzz(file, opts);
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

/** A file that is missing, a folder, or not an environment file is a bad argument (exit 2), not an error in the file. */
function badFile(file: string): boolean {
  const problem = !fs.existsSync(file)
    ? `no such file: ${file}`
    : fs.statSync(file).isDirectory()
      ? `${file} is a folder: give an environment file (*.rl.ts)`
      : !fs.statSync(file).isFile()
        ? `${file} is not a regular file`
        : !file.endsWith(".rl.ts")
          ? `${file} is not an environment file: their names end in .rl.ts`
          : null;
  if (problem) process.stderr.write(`rl-playground: ${problem}\n`);
  return problem !== null;
}

/**
 * When native TensorFlow is absent, say so once per installation, in one line, with the
 * way to get it (the mark lives in node_modules/.cache, so a fresh `npm ci` says it again).
 */
function noteNativeAbsent(): void {
  if (nativeInstalled()) return;
  const dir =
    process.env.RL_PLAYGROUND_CACHE ??
    path.join(path.dirname(path.dirname(path.dirname(require.resolve("@tensorflow/tfjs/package.json")))), ".cache", "rl-playground");
  const mark = path.join(dir, "native-absent-noted");
  if (fs.existsSync(mark)) return;
  process.stderr.write(`rl-playground: ${NATIVE_ABSENT_NOTE}\n`);
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(mark, `${new Date().toISOString()}\n`);
  } catch {
    // Read-only installation: the note shows on every run instead.
  }
}

async function train(
  file: string,
  opts: { episodes?: number; seed?: number; backend: BackendChoice; json?: boolean; out?: string; set?: Record<string, unknown> },
): Promise<number> {
  if (badFile(file)) return EXIT_BAD_ARGUMENTS;
  const name = path.basename(file).replace(/\.rl\.ts$/, "");
  const runDir = path.resolve(opts.out ?? path.join(".rl-playground", "runs", `${name}-${timestamp()}`));
  const settings = {
    ...opts.set,
    ...(opts.episodes !== undefined ? { maxEpisodes: opts.episodes } : {}),
    ...(opts.seed !== undefined ? { seed: opts.seed } : {}),
  };
  noteNativeAbsent();
  const bar = !opts.json && process.stderr.isTTY ? new TrainingBar(process.stderr) : null;
  let backend: BackendName | null = null;
  let last: UpdateMetrics | null = null;
  const onProgress = (m: UpdateMetrics) => {
    last = m;
    if (opts.json) process.stdout.write(JSON.stringify({ type: "progress", ...m }) + "\n");
    else bar?.update(m);
  };
  let handle: ReturnType<typeof startTraining>;
  try {
    handle = startTraining(file, {
      backend: opts.backend,
      settings,
      runDir,
      freshRunDir: opts.out === undefined,
      onProgress,
      // A slow environment takes minutes per update: the bar moves on heartbeats (design §4's
      // --json output stays one object per update and the summary).
      onHeartbeat: (h) => bar?.heartbeat(h),
      onStart: (start) => bar?.setThreshold(start.rewardThreshold),
      onBackend: (b) => {
        backend = b;
        if (bar) bar.backend = b;
      },
    });
  } catch (error) {
    if (!(error instanceof RunDirError)) throw error;
    process.stderr.write(`rl-playground: bad --out: ${error.message}\n`);
    return EXIT_BAD_ARGUMENTS;
  }
  // Ctrl-C stops the training (it saves its run as stopped when it can); a second one is Node's default.
  const onSigint = () => handle.stop();
  process.once("SIGINT", onSigint);
  let result: TrainResult;
  try {
    result = await handle.result;
  } catch (error) {
    if (!(error instanceof EngineError)) throw error;
    // Reported like a failure in the file: the progress so far, then a summary saying why it ended.
    result = { ok: false, reason: "error", summary: null, diagnostics: [], message: error.message, backend, backendReason: null };
  } finally {
    process.removeListener("SIGINT", onSigint);
    bar?.stop();
  }
  return report(result, opts.json === true, last, backend);
}

/** Prints how the training ended; the summary line is there on every ending but an error in the file. */
function report(result: TrainResult, json: boolean, last: UpdateMetrics | null, backend: BackendName | null): number {
  // A training cut short before it could save (stopped, or failed) still ends with a summary, from its last update.
  const fallback = (reason: "stopped" | "error") => ({
    type: "summary",
    episodes: last?.episodes ?? 0,
    updates: last?.update ?? 0,
    envSteps: last?.envSteps ?? 0,
    seconds: last?.seconds ?? 0,
    meanReturn100: last?.meanReturn100 ?? null,
    solved: false,
    solvedAtEpisode: null,
    reason,
    backend,
    backendReason: result.backendReason,
    runDir: null,
  });
  if (result.reason === "error") {
    printDiagnostics(result.diagnostics, json);
    if (!result.diagnostics.length) process.stderr.write(`rl-playground: ${result.message}\n`);
    // Progress lines came before the failure: say how far it got (a failure at load never started).
    if (json && (last || !result.diagnostics.length))
      process.stdout.write(JSON.stringify({ ...fallback("error"), error: result.message }) + "\n");
    else if (last) process.stderr.write(`training failed after ${last.episodes} episodes; nothing was saved\n`);
    return EXIT_FILE_ERRORS;
  }
  const s = result.summary;
  // What the run showed of the reward's terms (reward-term-inert), before the summary.
  printDiagnostics(result.diagnostics, json);
  if (json) {
    process.stdout.write(JSON.stringify(s ?? fallback("stopped")) + "\n");
    return EXIT_OK;
  }
  if (!s) {
    process.stderr.write(`training stopped${last ? ` after ${last.episodes} episodes` : ""}; nothing was saved\n`);
    return EXIT_OK;
  }
  const why = s.backendReason?.replace(/^\w+: /, "");
  const verdict = s.solved
    ? `solved after ${s.solvedAtEpisode} episodes`
    : s.reason === "stopped"
      ? "stopped"
      : "not solved (episode budget spent)";
  process.stdout.write(
    `${s.environment}: ${verdict}\n` +
      `  episodes ${s.episodes}, env steps ${s.envSteps}, ${s.seconds.toFixed(2)} s of training (${Math.round(s.envSteps / Math.max(s.seconds, 1e-9))} steps/s)\n` +
      `  mean return (last 100 episodes) ${s.meanReturn100.toFixed(2)}\n` +
      `  backend: "${s.backend}"${why ? ` (${why})` : ""}, seed ${s.seed}\n` +
      `  saved to ${s.runDir}\n`,
  );
  return EXIT_OK;
}

async function check(file: string, opts: { episodes?: number; seed?: number; backend: BackendChoice; json?: boolean }): Promise<number> {
  if (badFile(file)) return EXIT_BAD_ARGUMENTS;
  noteNativeAbsent();
  let result: Awaited<ReturnType<typeof checkEnvironment>>;
  try {
    result = await checkEnvironment(file, {
      backend: opts.backend,
      episodes: opts.episodes,
      settings: opts.seed !== undefined ? { seed: opts.seed } : {},
    });
  } catch (error) {
    if (!(error instanceof EngineError)) throw error;
    // Design §4 promises one JSON object: a check the engine could not finish still prints one.
    process.stderr.write(`rl-playground: ${error.message}\n`);
    if (opts.json) {
      const failed = { file: path.resolve(file), diagnostics: [], stats: null, summary: null, backend: null, backendReason: null };
      process.stdout.write(JSON.stringify({ ...failed, error: error.message }) + "\n");
    }
    return EXIT_FILE_ERRORS;
  }
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
          `  probe: ${result.stats.episodes} episodes, return ${f(result.stats.returnMean)} ± ${f(result.stats.returnStd)} (backend ${result.backendReason ?? result.backend})\n` +
          `  gradient: traceCov ${f(g.traceCov)}, gradNormSq ${f(g.gradNormSq)}, noiseScale ${f(g.noiseScale)}, baselineReduction ${f(g.baselineReduction)}\n` +
          snrLine(g.snr, result.stats.episodes, result.summary?.atEpisodesPerUpdate ?? null, f) +
          (result.stats.exact
            ? `  exact (enumerated): gradNormSq ${f(result.stats.exact.gradNormSq)}, traceCov ${f(result.stats.exact.traceCov)}\n`
            : "") +
          (result.summary ? rewardLines(result.summary, f) : ""),
      );
    }
  }
  return hasErrors ? EXIT_FILE_ERRORS : EXIT_OK;
}

async function fuzz(file: string, opts: { episodes: number; seed?: number; backend: BackendChoice; json?: boolean }): Promise<number> {
  if (badFile(file)) return EXIT_BAD_ARGUMENTS;
  const r = await fuzzEnvironment(file, { backend: opts.backend, episodes: opts.episodes, seed: opts.seed });
  if (opts.json) process.stdout.write(JSON.stringify(r) + "\n");
  else {
    printDiagnostics(
      r.findings.map((f) => f.diagnostic),
      false,
      process.stdout,
    );
    const kinds = r.findings.map((f) => `${f.diagnostic.code} in ${f.count} episode${f.count === 1 ? "" : "s"}`);
    process.stdout.write(
      `${path.relative(process.cwd(), r.file)}: ${r.episodes} random episodes, ${kinds.length ? kinds.join("; ") : "no failures"}\n`,
    );
  }
  return r.findings.some((f) => f.diagnostic.severity === "error") ? EXIT_FILE_ERRORS : EXIT_OK;
}

/**
 * The SNR of the probe's whole sample and the SNR one training update sees are different
 * numbers of the same measurement (SNR grows with the episodes averaged): each says which it is,
 * so the first is not read as the second (the editor's hover shows the one at episodesPerUpdate).
 */
function snrLine(probeSnr: number | null, probeEpisodes: number, perUpdate: SnrAt | null, f: (x: number | null) => string): string {
  const probe = `SNR ${f(probeSnr)} over the probe's ${probeEpisodes} episodes`;
  const update = perUpdate ? `; ${f(perUpdate.snr)} at ${perUpdate.episodes} episodes/update (what one update sees)` : "";
  return `  gradient ${probe}${update}\n`;
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
      ...(d.episode ? { episode: d.episode } : {}),
    })),
    stats: r.stats,
    summary: r.summary,
    backend: r.backend,
    backendReason: r.backendReason ?? null,
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
  main(argv).then(exitWhenWritten, (error: unknown) => {
    process.stderr.write(`rl-playground: internal error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    exitWhenWritten(EXIT_FILE_ERRORS);
  });
}

/**
 * Ends the process once stdout and stderr have handed every line to the OS. On a pipe Node
 * writes asynchronously: a reader that falls behind leaves lines queued here, and exiting at
 * once would drop them (the summary, last). Exiting explicitly rather than only setting
 * `process.exitCode` still ends a run whose engine left a handle open.
 */
function exitWhenWritten(code: number): void {
  process.exitCode = code;
  const streams = [process.stdout, process.stderr];
  let pending = streams.length;
  const written = () => {
    if (--pending === 0) process.exit(code);
  };
  for (const stream of streams) {
    // An empty write's callback runs after every write queued before it (or with the error of a closed reader).
    if (stream.writable && !stream.destroyed) stream.write("", written);
    else written();
  }
}
