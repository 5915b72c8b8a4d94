/**
 * One training run in its own process: prints when CartPole was solved, how fast, and
 * the lowest 100-episode mean over the updates after that, as one JSON line.
 */
import { trainEnvironment } from "../server/src/api";
import type { BackendChoice, UpdateMetrics } from "../server/src/protocol";

async function main() {
  const [file, backend, seed, afterSolved] = process.argv.slice(2);
  const start = performance.now();
  const rows: UpdateMetrics[] = [];
  let solvedAt = -1;
  const extraUpdates = Number(afterSolved ?? 0);
  const controller = new AbortController();
  const result = await trainEnvironment(file, {
    backend: backend as BackendChoice,
    settings: { seed: Number(seed), maxEpisodes: 20_000 },
    continueAfterSolved: extraUpdates > 0,
    signal: controller.signal,
    onProgress: (m) => {
      rows.push(m);
      if (solvedAt < 0 && m.episodes >= 100 && m.meanReturn100 >= 475) solvedAt = rows.length - 1;
      if (solvedAt >= 0 && rows.length - 1 - solvedAt >= extraUpdates) controller.abort();
    },
  });
  const wallMs = performance.now() - start;
  const solved = solvedAt >= 0 ? rows[solvedAt] : null;
  const after = solvedAt >= 0 ? rows.slice(solvedAt + 1) : [];
  console.log(
    JSON.stringify({
      ok: result.ok || result.reason === "stopped",
      solved: solved !== null,
      solveSeconds: solved?.seconds ?? null,
      solveEpisodes: solved?.episodes ?? null,
      solveSteps: solved?.envSteps ?? null,
      stepsPerSecond: solved ? solved.envSteps / solved.seconds : null,
      minAfterSolved: after.length ? Math.min(...after.map((m) => m.meanReturn100)) : null,
      updatesAfterSolved: after.length,
      wallMs,
    }),
  );
}
main();
