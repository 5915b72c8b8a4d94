/**
 * On-type check latency, as the language server sees it: `checkEnvironment` wall time
 * (bundle, warm runner, probe, diagnostics) over successive checks of each example with
 * one warm pool (no pause between checks: a runner serves check after check), plus the
 * cold start (a runner started for the check). Prints p50/p95 in ms per example.
 */
import { checkEnvironment, RunnerPool } from "../server/src/api";
import type { BackendChoice } from "../server/src/protocol";

export const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))];
};

async function main() {
  const [backend, runs, ...files] = process.argv.slice(2);
  const pool = new RunnerPool(backend as BackendChoice);
  pool.warm();
  await new Promise((r) => setTimeout(r, 3000)); // the spare loads, as before the first keystroke
  const out: Record<string, { warm50: number; warm95: number; cold50: number; episodes: number; runners: number }> = {};
  for (const file of files) {
    const warm: number[] = [];
    const cold: number[] = [];
    let episodes = 0;
    const startedBefore = pool.started;
    for (let k = 0; k < Number(runs); k++) {
      const t0 = performance.now();
      const r = await checkEnvironment(file, { pool });
      warm.push(performance.now() - t0);
      episodes = r.stats?.episodes ?? 0;
    }
    const runners = pool.started - startedBefore;
    for (let k = 0; k < 3; k++) {
      const t0 = performance.now();
      await checkEnvironment(file, { backend: backend as BackendChoice });
      cold.push(performance.now() - t0);
    }
    out[file] = { warm50: quantile(warm, 0.5), warm95: quantile(warm, 0.95), cold50: quantile(cold, 0.5), episodes, runners };
  }
  pool.dispose();
  console.log(JSON.stringify(out));
}
main();
