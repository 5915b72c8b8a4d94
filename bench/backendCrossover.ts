/**
 * Where native TensorFlow overtakes WebAssembly (design §7): environment steps per second
 * of CartPole training (the first EPISODES episodes, 16 per update) with a policy of two
 * hidden layers of h units, in this process on one backend. Prints one JSON object:
 * { h: { parameters, stepsPerSecond } }. `auto` uses the crossover this measures.
 */
import { loadInProcess } from "./harness";
import { train } from "../server/src/rl/train";
import { policyParameters } from "../server/src/rl/backend";
import type { BackendChoice } from "../server/src/protocol";

const EPISODES = 64;

async function main() {
  const [file, backend, ...sizes] = process.argv.slice(2);
  const out: Record<string, { parameters: number; stepsPerSecond: number }> = {};
  for (const h of sizes.map(Number)) {
    const { user, guard, backend: name } = await loadInProcess(file, backend as BackendChoice);
    const overrides = { policy: { hidden: [h, h], activation: "relu" as const }, maxEpisodes: EPISODES, seed: 0 };
    // One short run first: kernels compiled, caches warm.
    await train(user, guard, { overrides: { ...overrides, maxEpisodes: 16 }, backend: name, runDir: null });
    const summary = await train(user, guard, { overrides, backend: name, runDir: null });
    // CartPole: 4 observations, 2 actions.
    out[h] = { parameters: policyParameters([4, h, h, 2]), stepsPerSecond: summary.envSteps / summary.seconds };
  }
  console.log(JSON.stringify(out));
}
main();
