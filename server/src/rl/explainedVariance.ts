/**
 * How much of the returns' spread the value baseline explains on one batch, over its real rows
 * (every step of every episode):
 *
 *   EV = 1 − Var(G_t − V(s_t)) / Var(G_t)
 *
 * 1 when V predicts every return-to-go, 0 when it does no better than a constant, negative when
 * it adds noise. V is the network whose Ψ = G − V the update steps along: measured before the
 * update fits it to this batch, so it describes the baseline the batch was weighed with.
 */
import type { EpisodeBatch } from "./episodeBatch";

/** EV of `V` against `G` (both laid out like the batch rows); null when G does not vary (EV is undefined). */
export function explainedVariance(batch: EpisodeBatch, G: Float64Array, V: Float64Array): number | null {
  let count = 0;
  let meanG = 0;
  let meanResidual = 0;
  forEachRow(batch, (row) => {
    count++;
    meanG += G[row];
    meanResidual += G[row] - V[row];
  });
  if (count < 2) return null;
  meanG /= count;
  meanResidual /= count;
  // Two passes: the squares are of deviations, so large returns do not cancel catastrophically.
  let varG = 0;
  let varResidual = 0;
  forEachRow(batch, (row) => {
    varG += (G[row] - meanG) ** 2;
    varResidual += (G[row] - V[row] - meanResidual) ** 2;
  });
  return varG > 0 ? 1 - varResidual / varG : null;
}

function forEachRow(batch: EpisodeBatch, visit: (row: number) => void): void {
  for (let i = 0; i < batch.n; i++) for (let t = 0; t < batch.lengths[i]; t++) visit(i * batch.stride + t);
}
