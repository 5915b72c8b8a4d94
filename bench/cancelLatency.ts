/**
 * Cancellation latency: for a probe, from `abort()` to `checkEnvironment`
 * resolving (requirement: 100 ms); for a training, from `stop()` to its result (requirement:
 * one second). Warm pool for the probes. Prints {probeMs: [...], trainMs: [...], trainSaved}.
 */
import { checkEnvironment, RunnerPool, startTraining } from "../server/src/api";
import type { BackendChoice } from "../server/src/protocol";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function main() {
  const [file, backend, probes, trainings] = process.argv.slice(2);
  const pool = new RunnerPool(backend as BackendChoice);
  pool.warm();
  await sleep(3000);
  const probeMs: number[] = [];
  for (let k = 0; k < Number(probes); k++) {
    const controller = new AbortController();
    const pending = checkEnvironment(file, { pool, episodes: 100_000, signal: controller.signal });
    await sleep(400);
    const t0 = performance.now();
    controller.abort();
    await pending;
    probeMs.push(performance.now() - t0);
    await sleep(400); // the runner winds down and goes back to the pool
  }
  pool.dispose();
  const trainMs: number[] = [];
  let trainSaved = 0;
  for (let k = 0; k < Number(trainings); k++) {
    let updates = 0;
    const handle = startTraining(file, {
      backend: backend as BackendChoice,
      settings: { maxEpisodes: 1_000_000 },
      continueAfterSolved: true,
      onProgress: () => updates++,
    });
    while (updates < 5) await sleep(20);
    const t0 = performance.now();
    handle.stop();
    const result = await handle.result;
    trainMs.push(performance.now() - t0);
    if (result.summary) trainSaved++;
  }
  console.log(JSON.stringify({ probeMs, trainMs, trainSaved }));
}
main();
