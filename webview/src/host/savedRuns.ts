/**
 * Saved runs: the run folders training leaves behind (`summary.json` + `metrics.jsonl`, see
 * `server/src/rl/runFiles.ts`), listed and read back for the dashboard. Runs on the
 * extension side, behind a small file-access interface so it is testable without VS Code.
 */
import * as v from "valibot";
import type { DashboardRunInfo, EndReason, SavedRun, UpdateMetrics } from "../../../server/src/protocol";
import { updateMetricsSchema } from "../messages";

export interface RunFolderAccess {
  /** Absolute paths of every `summary.json` of a run folder in the workspace. */
  findSummaries(): Promise<string[]>;
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

/** Every readable run folder, newest first; unreadable ones are skipped. */
export async function findSavedRuns(files: RunFolderAccess): Promise<SavedRun[]> {
  const runs: SavedRun[] = [];
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

/** One UpdateMetrics per line; lines that are not one (blank, partial, or a `--json` summary) are skipped. */
export function parseMetricsJsonl(text: string): UpdateMetrics[] {
  const rows: UpdateMetrics[] = [];
  for (const line of text.split("\n")) {
    if (!line.trim()) continue;
    try {
      const parsed = v.safeParse(updateMetricsSchema, JSON.parse(line));
      if (parsed.success) rows.push(parsed.output);
    } catch {
      continue;
    }
  }
  return rows;
}
