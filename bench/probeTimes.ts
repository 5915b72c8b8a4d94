/**
 * Probe latency per example, as the language server will see it: `checkEnvironment`
 * wall time (bundle, runner, probe, diagnostics), with a runner started ahead of time
 * (warm, what on-type feedback uses) and without (cold). Prints p50/p95 in ms.
 */
import { checkEnvironment } from "../server/src/api";
import type { BackendChoice } from "../server/src/protocol";
import { RunnerPool } from "../server/src/sandbox/runner";

const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(q * s.length) - 1)];
};

async function main() {
  const [backend, runs, ...files] = process.argv.slice(2);
  const pool = new RunnerPool(backend as BackendChoice);
  const out: Record<string, { warm50: number; warm95: number; cold50: number; episodes: number }> = {};
  for (const file of files) {
    const warm: number[] = [];
    const cold: number[] = [];
    let episodes = 0;
    for (let k = 0; k < Number(runs); k++) {
      pool.warm();
      await new Promise((r) => setTimeout(r, 700)); // let the spare load, as between keystrokes
      let t0 = performance.now();
      const r = await checkEnvironment(file, { pool });
      warm.push(performance.now() - t0);
      episodes = r.stats?.episodes ?? 0;
      if (k < 3) {
        t0 = performance.now();
        await checkEnvironment(file, { backend: backend as BackendChoice });
        cold.push(performance.now() - t0);
      }
    }
    out[file] = { warm50: quantile(warm, 0.5), warm95: quantile(warm, 0.95), cold50: quantile(cold, 0.5), episodes };
  }
  await pool.dispose();
  console.log(JSON.stringify(out));
}
main();
