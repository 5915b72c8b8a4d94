/**
 * `rl-playground sweep FILE --seeds 1..8 --set key=v1,v2 [--address ADDR]`: grid × seeds as
 * Ray Tune trials (design §8). Ray is Python, so this command hands its arguments to the
 * Python package (`python -m rl_playground.sweep`), whose trials run this very CLI's `train`.
 * The Python is the one `--python` or `RL_PYTHON` names, else the virtual environment the
 * README installs (`RL_PYTHON_ENV`, default ~/.cache/rl-playground-python/venv), else python3.
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Option, type Command } from "commander";

/** Where the README installs the Python side. */
export const DEFAULT_PYTHON_ENV = path.join(os.homedir(), ".cache", "rl-playground-python", "venv");

export function pythonExecutable(explicit?: string): string {
  if (explicit) return explicit;
  if (process.env.RL_PYTHON) return process.env.RL_PYTHON;
  const venv = process.env.RL_PYTHON_ENV ?? DEFAULT_PYTHON_ENV;
  const inVenv = path.join(venv, "bin", "python");
  return fs.existsSync(inVenv) ? inVenv : "python3";
}

interface SweepOptions {
  seeds: string;
  set: string[];
  address?: string;
  episodes?: string;
  backend: string;
  out?: string;
  maxFailures: string;
  json?: boolean;
  python?: string;
}

export function addSweepCommand(program: Command, exit: (code: number) => void): void {
  program
    .command("sweep")
    .description("train every combination of --set values with every seed, as Ray Tune trials (needs the Python package, see the README)")
    .argument("<file>", "environment file")
    .option("--seeds <list>", "seeds: a range 1..8 or a list 1,2,5", "1..8")
    .option("--set <key=v1,v2>", "a training setting and its values to sweep (repeatable), e.g. learningRate=0.01,0.03", collect, [])
    .option("--address <address>", "join this Ray cluster (default: start a local Ray instance on 127.0.0.1)")
    .option("--episodes <n>", "episode budget of each trial")
    .addOption(
      new Option("--backend <name>", "TensorFlow.js backend of each trial").choices(["auto", "tensorflow", "wasm", "cpu"]).default("auto"),
    )
    .option("--out <dir>", "sweep folder (default .rl-playground/sweeps/<name>-<time>/)")
    .option("--max-failures <n>", "retries of a trial whose worker or node dies", "2")
    .option("--json", "print the result as one JSON object")
    .option("--python <path>", "the Python that has rl_playground and ray[tune] installed")
    .action(async (file: string, opts: SweepOptions) => exit(await runSweep(file, opts)));
}

function collect(value: string, previous: string[]): string[] {
  return [...previous, value];
}

function runSweep(file: string, opts: SweepOptions): Promise<number> {
  const python = pythonExecutable(opts.python);
  const args = ["-m", "rl_playground.sweep", path.resolve(file), "--seeds", opts.seeds, "--backend", opts.backend];
  for (const s of opts.set) args.push("--set", s);
  if (opts.address) args.push("--address", opts.address);
  if (opts.episodes) args.push("--episodes", opts.episodes);
  if (opts.out) args.push("--out", path.resolve(opts.out));
  args.push("--max-failures", opts.maxFailures);
  if (opts.json) args.push("--json");
  // The trials train with this CLI, whatever Python's own copy of the runner is.
  args.push("--trainer", path.resolve(__dirname, "cli.js"));
  return new Promise((resolve) => {
    const child = spawn(python, args, { stdio: "inherit" });
    // Ctrl-C reaches Python too (same process group): it stops the sweep and prints what finished.
    const ignore = () => undefined;
    process.on("SIGINT", ignore);
    child.on("error", (error) => {
      process.off("SIGINT", ignore);
      process.stderr.write(
        `rl-playground: cannot run ${python} (${error.message}). Install the Python side as the README says, or pass --python.\n`,
      );
      resolve(2);
    });
    child.on("exit", (code, signal) => {
      process.off("SIGINT", ignore);
      resolve(code ?? (signal === "SIGINT" ? 130 : 1));
    });
  });
}
