/**
 * Saved runs: the run folders training leaves behind (`summary.json` + `metrics.jsonl`, see
 * `server/src/rl/runFiles.ts`), listed and read back for the dashboard. Runs on the
 * extension side, behind a small file-access interface so it is testable without VS Code.
 */
import * as v from "valibot";
import { UpdateMetricsSchema, type DashboardRunInfo, type EndReason, type SavedRun, type UpdateMetrics } from "../../server/src/protocol";

export interface RunFolderAccess {
  /** Absolute paths of every `summary.json` of a run folder in the workspace. */
  findSummaries(): Promise<string[]>;
  /** Absolute paths of every `sweep.json` of a sweep folder in the workspace (none when omitted). */
  findSweeps?(): Promise<string[]>;
  readText(file: string): Promise<string>;
  /** Modification time in ms since the epoch. */
  mtime(file: string): Promise<number>;
  /** The URI of an environment file when it still exists (a saved run can then be trained again), else null. */
  environmentUri(file: string): Promise<string | null>;
}

/** The part of `summary.json` the dashboard uses; the rest is ignored. */
const summarySchema = v.object({
  environment: v.string(),
  episodes: v.number(),
  updates: v.number(),
  meanReturn100: v.number(),
  solved: v.boolean(),
  reason: v.picklist(["solved", "stopped", "budget", "error"]),
  backend: v.picklist(["tensorflow", "wasm", "cpu"]),
  rewardThreshold: v.optional(v.nullable(v.number())),
  file: v.optional(v.string()),
  settings: v.looseObject({
    episodesPerUpdate: v.number(),
    learningRate: v.number(),
    gamma: v.number(),
    baseline: v.picklist(["none", "mean", "value"]),
    normalizeAdvantages: v.boolean(),
    entropyCoef: v.number(),
    policy: v.object({ hidden: v.array(v.number()), activation: v.picklist(["relu", "tanh"]) }),
    value: v.object({ hidden: v.array(v.number()), learningRate: v.number(), stepsPerUpdate: v.number() }),
    seed: v.number(),
    maxEpisodes: v.number(),
  }),
});

const folderOf = (file: string) => file.replace(/[\\/][^\\/]*$/, "");
const joinPath = (dir: string, name: string) => `${dir}${dir.includes("\\") && !dir.includes("/") ? "\\" : "/"}${name}`;

/**
 * The part of `sweep.json` (written by `rl_playground.sweep`, Python) the dashboard uses: the
 * finished trials, each with its grid point, seed and run folder. Stopped or failed trials are
 * not listed there, so they are not opened either.
 */
const sweepSchema = v.object({
  file: v.optional(v.string()),
  /** Ctrl-C stopped the sweep: the trials listed are those that finished before it. */
  interrupted: v.optional(v.boolean()),
  trials: v.array(
    v.looseObject({
      point: v.record(v.string(), v.unknown()),
      seed: v.number(),
      solved: v.boolean(),
      episodes: v.number(),
      mean_return100: v.optional(v.nullable(v.number())),
      reason: v.string(),
      run_dir: v.string(),
    }),
  ),
});
type Sweep = v.InferOutput<typeof sweepSchema>;

/** A grid point as the sweep's table names it (`learningRate=0.01,gamma=0.99`; no sweep keys: `defaults`). */
export function gridPointLabel(point: Record<string, unknown>): string {
  return (
    Object.entries(point)
      .map(([k, value]) => `${k}=${JSON.stringify(value)}`)
      .join(",") || "defaults"
  );
}

async function readSweepFile(files: RunFolderAccess, sweepDir: string): Promise<Sweep | null> {
  let text: string;
  try {
    text = await files.readText(joinPath(sweepDir, "sweep.json"));
  } catch {
    return null;
  }
  return v.parse(sweepSchema, JSON.parse(text));
}

/** Every readable run folder and sweep folder, newest first; unreadable ones are skipped. */
export async function findSavedRuns(files: RunFolderAccess): Promise<SavedRun[]> {
  const runs: SavedRun[] = [];
  for (const sweepFile of (await files.findSweeps?.()) ?? []) {
    try {
      const sweepDir = folderOf(sweepFile);
      const sweep = await readSweepFile(files, sweepDir);
      if (!sweep) continue;
      const solved = sweep.trials.filter((t) => t.solved).length;
      const returns = sweep.trials.map((t) => t.mean_return100).filter((r): r is number => typeof r === "number");
      const first = sweep.trials[0] ? await readSavedRun(files, trialRunDir(sweepDir, sweep.trials[0].run_dir)).catch(() => null) : null;
      runs.push({
        runDir: sweepDir,
        environment:
          first?.info.environment ??
          sweep.file
            ?.split(/[\\/]/)
            .pop()
            ?.replace(/\.rl\.ts$/, "") ??
          "sweep",
        episodes: sweep.trials.reduce((n, t) => n + t.episodes, 0),
        updates: first?.metrics.length ?? 0,
        meanReturn100: returns.length ? returns.reduce((a, b) => a + b, 0) / returns.length : 0,
        solved: sweep.trials.length > 0 && solved === sweep.trials.length,
        reason: sweep.interrupted ? "stopped" : solved === sweep.trials.length ? "solved" : "budget",
        savedAt: await files.mtime(sweepFile),
        sweep: {
          points: new Set(sweep.trials.map((t) => gridPointLabel(t.point))).size,
          trials: sweep.trials.length,
          solved,
        },
      });
    } catch {
      continue;
    }
  }
  for (const summaryFile of await files.findSummaries()) {
    try {
      const s = v.parse(summarySchema, JSON.parse(await files.readText(summaryFile)));
      runs.push({
        runDir: folderOf(summaryFile),
        environment: s.environment,
        episodes: s.episodes,
        updates: s.updates,
        meanReturn100: s.meanReturn100,
        solved: s.solved,
        reason: s.reason,
        savedAt: await files.mtime(summaryFile),
      });
    } catch {
      continue;
    }
  }
  return runs.sort((a, b) => b.savedAt - a.savedAt);
}

export interface LoadedRun {
  info: DashboardRunInfo;
  metrics: UpdateMetrics[];
  reason: EndReason | null;
}

/**
 * Read a run folder back. `metrics.jsonl` rows that do not validate are skipped (a run cut
 * short may end in a partial line); a missing `summary.json` leaves the run unnamed.
 */
export async function readSavedRun(files: RunFolderAccess, runDir: string): Promise<LoadedRun> {
  const metrics = parseMetricsJsonl(await files.readText(joinPath(runDir, "metrics.jsonl")));
  let summary: v.InferOutput<typeof summarySchema> | null = null;
  try {
    summary = v.parse(summarySchema, JSON.parse(await files.readText(joinPath(runDir, "summary.json"))));
  } catch {
    summary = null;
  }
  const last = metrics.at(-1)?.policy;
  const uri = summary?.file ? await files.environmentUri(summary.file).catch(() => null) : null;
  return {
    info: {
      runId: `saved:${runDir}`,
      uri,
      environment: summary?.environment ?? runDir.split(/[\\/]/).pop() ?? runDir,
      backend: summary?.backend ?? null,
      settings: summary?.settings ?? null,
      rewardThreshold: summary?.rewardThreshold ?? null,
      actionSpace:
        last?.kind === "discrete"
          ? { kind: "discrete", n: last.actionProbs[0]?.length ?? 0 }
          : last
            ? { kind: "box", dims: last.std.length }
            : null,
      source: "saved",
      runDir,
    },
    metrics,
    reason: summary?.reason ?? null,
  };
}

/**
 * A trial's run folder. The sweep writes it under its own `runs/` folder and records the absolute
 * path; the folder under this sweep folder comes first, so a sweep copied or moved (or fetched
 * from a cluster) still opens.
 */
function trialRunDir(sweepDir: string, recorded: string): string {
  const name = recorded.split(/[\\/]/).pop() ?? recorded;
  return joinPath(joinPath(sweepDir, "runs"), name);
}

/**
 * Open what the dashboard was asked to: a run folder as one run, or a sweep folder (one holding
 * `sweep.json`) as every finished trial, each in the seed group of its grid point so a grid
 * point draws as the mean over its seeds with a band.
 */
export async function readSavedRuns(files: RunFolderAccess, dir: string): Promise<LoadedRun[]> {
  const sweep = await readSweepFile(files, dir);
  if (!sweep) return [await readSavedRun(files, dir)];
  const loaded: LoadedRun[] = [];
  for (const trial of sweep.trials) {
    const label = gridPointLabel(trial.point);
    const local = trialRunDir(dir, trial.run_dir);
    const run = await readSavedRun(files, local).catch(() =>
      local === trial.run_dir ? null : readSavedRun(files, trial.run_dir).catch(() => null),
    );
    // A trial whose folder is gone is left out; the rest of the sweep still opens.
    if (!run) continue;
    // The folder's path keeps two sweeps opened side by side apart.
    loaded.push({ ...run, info: { ...run.info, groupId: `sweep:${dir}:${label}`, groupLabel: label } });
  }
  return loaded;
}

/** One UpdateMetrics per line; lines that are not one (blank, partial, or a `--json` summary) are skipped. */
export function parseMetricsJsonl(text: string): UpdateMetrics[] {
  const rows: UpdateMetrics[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const parsed = v.safeParse(UpdateMetricsSchema, JSON.parse(line));
      if (parsed.success) rows.push(parsed.output);
    } catch {
      continue;
    }
  }
  return rows;
}
