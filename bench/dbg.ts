import { loadInProcess } from "./harness";
import { probe } from "../server/src/rl/probe";
async function main() {
  const { user, guard } = await loadInProcess(process.argv[2], "cpu");
  const r = probe(user, guard, { overrides: JSON.parse(process.argv[3] ?? "{}") });
  console.log(JSON.stringify(r.stats?.gradient), JSON.stringify(r.summary?.atEpisodesPerUpdate), r.summary?.baselineReduction);
}
main().catch((e) => console.error(e));
