import type { TrainingSettings } from "../protocol";
import type { TrainingOptions } from "../runtime/index";
import { UserCodeError } from "./userCode";

/**
 * Defaults: 16 episodes in lockstep, a 32-unit relu policy, Adam at 0.03, γ = 0.99 and
 * a per-time-index mean baseline. With these, batched REINFORCE solves CartPole-v1 in
 * about 100k environment steps. Advantage normalisation is off by default: Adam already
 * divides out the gradient's scale (CartPole solves as fast without it), and without it
 * the step is the very estimate the statistics describe, so one update needs two weight
 * columns (Ψ with the mean baseline, and without) instead of three.
 */
export const DEFAULT_SETTINGS: TrainingSettings = {
  episodesPerUpdate: 16,
  learningRate: 0.03,
  gamma: 0.99,
  baseline: "mean",
  normalizeAdvantages: false,
  entropyCoef: 0,
  policy: { hidden: [32], activation: "relu" },
  value: { hidden: [32], learningRate: 0.01, stepsPerUpdate: 4 },
  seed: 0,
  maxEpisodes: 5000,
};

/** Merge the file's `training` export and caller overrides over the defaults, validating as we go. */
export function resolveSettings(...layers: Array<TrainingOptions | Partial<TrainingSettings> | undefined>): TrainingSettings {
  const s: TrainingSettings = structuredClone(DEFAULT_SETTINGS);
  for (const layer of layers) {
    if (!layer || typeof layer !== "object") continue;
    const l = layer as Partial<TrainingSettings>;
    if (l.episodesPerUpdate !== undefined) s.episodesPerUpdate = l.episodesPerUpdate;
    if (l.learningRate !== undefined) s.learningRate = l.learningRate;
    if (l.gamma !== undefined) s.gamma = l.gamma;
    if (l.baseline !== undefined) s.baseline = l.baseline;
    if (l.normalizeAdvantages !== undefined) s.normalizeAdvantages = l.normalizeAdvantages;
    if (l.entropyCoef !== undefined) s.entropyCoef = l.entropyCoef;
    if (l.seed !== undefined) s.seed = l.seed;
    if (l.maxEpisodes !== undefined) s.maxEpisodes = l.maxEpisodes;
    if (l.policy) s.policy = { ...s.policy, ...l.policy };
    if (l.value) s.value = { ...s.value, ...(l.value as Partial<TrainingSettings["value"]>) };
  }
  const problem = settingsProblem(s);
  if (problem)
    throw new UserCodeError({
      code: "invalid-training",
      call: "load",
      member: "training",
      property: problem[0],
      message: `${problem[1]}.`,
    });
  return s;
}

/** The first bad setting: its property path in the `training` export, and what is wrong. */
function settingsProblem(s: TrainingSettings): [property: string, message: string] | undefined {
  const isPosInt = (x: unknown) => typeof x === "number" && Number.isInteger(x) && x >= 1;
  if (!isPosInt(s.episodesPerUpdate) || s.episodesPerUpdate < 2)
    return [
      "episodesPerUpdate",
      `training.episodesPerUpdate must be a whole number >= 2 (the variance needs two episodes), got ${s.episodesPerUpdate}`,
    ];
  if (!(s.learningRate > 0)) return ["learningRate", `training.learningRate must be > 0, got ${s.learningRate}`];
  if (!(s.gamma >= 0 && s.gamma <= 1)) return ["gamma", `training.gamma must be in [0, 1], got ${s.gamma}`];
  if (!["none", "mean", "value"].includes(s.baseline))
    return ["baseline", `training.baseline must be "none", "mean" or "value", got ${JSON.stringify(s.baseline)}`];
  if (!(s.entropyCoef >= 0)) return ["entropyCoef", `training.entropyCoef must be >= 0, got ${s.entropyCoef}`];
  if (!Array.isArray(s.policy.hidden) || !s.policy.hidden.every(isPosInt))
    return ["policy.hidden", `training.policy.hidden must be a list of layer sizes, e.g. [32], got ${JSON.stringify(s.policy.hidden)}`];
  if (!["relu", "tanh"].includes(s.policy.activation))
    return ["policy.activation", `training.policy.activation must be "relu" or "tanh", got ${JSON.stringify(s.policy.activation)}`];
  if (!Array.isArray(s.value.hidden) || !s.value.hidden.every(isPosInt))
    return ["value.hidden", `training.value.hidden must be a list of layer sizes, got ${JSON.stringify(s.value.hidden)}`];
  if (!Number.isInteger(s.seed)) return ["seed", `training.seed must be a whole number, got ${s.seed}`];
  if (!isPosInt(s.maxEpisodes)) return ["maxEpisodes", `the episode budget must be a whole number >= 1, got ${s.maxEpisodes}`];
  return undefined;
}
