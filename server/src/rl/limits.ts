/**
 * The engine's own size limits (design §5 `resource-limit`). A request beyond them is the
 * user's setting, not a bug of theirs or ours: it is refused before anything is allocated,
 * placed on the space or the `training` property that asked for it, with the limit and the
 * size asked for.
 *
 * Memory math (the runner has a 1 GiB heap and 1 GiB more for buffers and WebAssembly, see
 * `sandbox/runnerShared.ts` and `hostProcess.ts`):
 *
 * - Rollout buffers. A batch holds n · maxEpisodeSteps rows of
 *   4·F (features, float32) + 8 (reward, float64) + 4 (Discrete action index) or 4·A (Box
 *   action) bytes. The probe holds the rollout's buffer, the copies it keeps (together at
 *   most the limit) and their join: three times MAX_ROLLOUT_BYTES = 128 MiB, 384 MiB, which
 *   leaves most of the buffer allowance to the padded batch and TensorFlow.js. CartPole at
 *   the defaults needs 16 · 500 · 28 B = 0.2 MiB; 16 episodes of 10⁵ steps at F = 4 need
 *   43 MiB; 16 episodes of 10⁹ steps would need 238 GiB.
 * - Policy size. An update holds the weights, Adam's two moments and a gradient (16 B per
 *   parameter) and per-episode gradients of one chunk of 16 episodes in up to 3 weight
 *   columns (16 · 3 · 4 = 192 B per parameter): 208 B per parameter, so 2²⁰ parameters
 *   take about 208 MiB. Discrete(10⁹) behind a 32-unit layer would be 3.3·10¹⁰ parameters.
 * - Space sizes. Sampling a Discrete action is O(n) per step, a one-hot Discrete
 *   observation is n features, and each Box dimension is a feature or an output: 2¹⁶ of
 *   any keeps a step's work and the policy's first and last layers bounded before the
 *   parameter count is even computed (which usually bites first: 2¹⁶ actions behind a
 *   32-unit layer are 2.2·10⁶ parameters).
 * - Episodes per update. Every episode of a batch is a live environment instance (its size
 *   is the user's, say up to 10 KiB: 160 MiB at the limit) and a row of per-episode
 *   gradients; 2¹⁴ = 16,384 is far past any useful batch (noise scales in the examples are
 *   under 100).
 * - Probe episodes. An exact probe (`check --episodes N`) is one batch: N live environments
 *   and their per-episode gradients, but only once and with nothing else held, so 2¹⁶ =
 *   65,536 (4× the batch limit; 64 MiB at 1 KiB per environment). A million bandits left
 *   the heap so full that the collector's pauses inside a constructor call were taken for
 *   an endless loop.
 */
import type { TrainingSettings } from "../protocol";
import { UserCodeError, type EnvironmentMember } from "./userCode";
import type { EnvSpec } from "./spaceSpec";

export const MAX_ROLLOUT_BYTES = 128 * 2 ** 20;
export const MAX_POLICY_PARAMETERS = 2 ** 20;
export const MAX_DISCRETE_SIZE = 2 ** 16;
export const MAX_BOX_DIMENSIONS = 2 ** 16;
export const MAX_EPISODES_PER_UPDATE = 2 ** 14;
export const MAX_PROBE_EPISODES = 2 ** 16;
/** The episode count a batch is sized for when blaming its length (the default episodesPerUpdate). */
const REFERENCE_EPISODES = 16;

function overLimit(message: string, member: EnvironmentMember, property?: string): never {
  throw new UserCodeError({ code: "resource-limit", call: "construct", member, property, message });
}

/**
 * The probe's episode count is the caller's (`check --episodes`), not a setting in the file:
 * placed on the environment class (call "none"), the file whose episode length makes it too many.
 */
function probeOverLimit(message: string): never {
  throw new UserCodeError({ code: "resource-limit", call: "none", message });
}

const count = (x: number) => (x >= 1e7 ? x.toExponential(2).replace("e+", "e") : x.toLocaleString("en-US"));
const mib = (bytes: number) => (bytes >= 2 ** 30 ? `${(bytes / 2 ** 30).toPrecision(3)} GiB` : `${(bytes / 2 ** 20).toPrecision(3)} MiB`);

/** The spaces' sizes, checked as soon as they are read (before a policy or a buffer exists). */
export function checkSpaceSizes(spec: EnvSpec): void {
  const obs = spec.observation;
  const act = spec.action;
  if (obs.kind === "discrete" && obs.n > MAX_DISCRETE_SIZE)
    overLimit(
      `observationSpace: Discrete(${count(obs.n)}) is over the engine's limit of ${count(MAX_DISCRETE_SIZE)} states (each is one input of the policy). Describe the state with a Box of features instead.`,
      "observationSpace",
    );
  if (obs.kind === "box" && obs.dim > MAX_BOX_DIMENSIONS)
    overLimit(
      `observationSpace: a Box of ${count(obs.dim)} dimensions is over the engine's limit of ${count(MAX_BOX_DIMENSIONS)}. Reduce the observation to the features the policy needs.`,
      "observationSpace",
    );
  if (act.kind === "discrete" && act.n > MAX_DISCRETE_SIZE)
    overLimit(
      `actionSpace: Discrete(${count(act.n)}) is over the engine's limit of ${count(MAX_DISCRETE_SIZE)} actions (the policy has one output per action). Factor the choice into a few smaller ones, or use a Box action.`,
      "actionSpace",
    );
  if (act.kind === "box" && act.dim > MAX_BOX_DIMENSIONS)
    overLimit(
      `actionSpace: a Box of ${count(act.dim)} dimensions is over the engine's limit of ${count(MAX_BOX_DIMENSIONS)}.`,
      "actionSpace",
    );
}

/** Bytes of one rollout row (one step of one episode): features, reward, action. */
export function rolloutRowBytes(spec: EnvSpec): number {
  return 4 * spec.featureDim + 8 + 4 * (spec.action.kind === "discrete" ? 1 : spec.actionDim);
}

/**
 * A probe's episode count within the engine's limit, checked before any environment is made:
 * a probe runs in batches of `episodesPerUpdate`, but its per-episode facts and the time it
 * takes grow with the count.
 */
export function checkProbeEpisodes(episodes: number): void {
  if (episodes > MAX_PROBE_EPISODES)
    probeOverLimit(
      `a probe of ${count(episodes)} episodes is over the engine's limit of ${count(MAX_PROBE_EPISODES)}. Ask for fewer episodes.`,
    );
}

/**
 * A batch of `episodes` episodes of up to maxEpisodeSteps steps must fit MAX_ROLLOUT_BYTES.
 * The episode length is at fault when even REFERENCE_EPISODES episodes would not fit;
 * otherwise the number of episodes is (`episodesAsked` names where that number came from).
 */
export function checkRolloutSize(spec: EnvSpec, episodes: number, episodesAsked: "training" | "probe"): void {
  if (episodesAsked === "probe") checkProbeEpisodes(episodes);
  const row = rolloutRowBytes(spec);
  const bytes = episodes * spec.maxEpisodeSteps * row;
  if (bytes <= MAX_ROLLOUT_BYTES) return;
  const lengthAlone = Math.min(episodes, REFERENCE_EPISODES) * spec.maxEpisodeSteps * row;
  if (lengthAlone > MAX_ROLLOUT_BYTES) {
    const maxSteps = Math.floor(MAX_ROLLOUT_BYTES / (Math.min(episodes, REFERENCE_EPISODES) * row));
    overLimit(
      `maxEpisodeSteps = ${count(spec.maxEpisodeSteps)} is over the engine's limit: a batch of ${Math.min(episodes, REFERENCE_EPISODES)} episodes that long needs ${mib(lengthAlone)} of buffers (${row} bytes per step), and the limit is ${mib(MAX_ROLLOUT_BYTES)}, so at most ${count(maxSteps)} steps per episode. Set a truncation limit that an episode can reach.`,
      "maxEpisodeSteps",
    );
  }
  const maxEpisodes = Math.floor(MAX_ROLLOUT_BYTES / (spec.maxEpisodeSteps * row));
  const what = episodesAsked === "training" ? `training.episodesPerUpdate = ${count(episodes)}` : `a probe of ${count(episodes)} episodes`;
  const message = `${what} is over the engine's limit: ${count(episodes)} episodes of up to ${count(spec.maxEpisodeSteps)} steps need ${mib(bytes)} of buffers, and the limit is ${mib(MAX_ROLLOUT_BYTES)}, so at most ${count(maxEpisodes)} episodes of this length.`;
  if (episodesAsked === "probe") probeOverLimit(`${message} Ask for fewer episodes.`);
  overLimit(message, "training", "episodesPerUpdate");
}

/** Weights and biases of an MLP from `inputs` through `hidden` to `outputs` (plus Box log σ). */
export function policyParameters(spec: EnvSpec, hidden: number[]): number {
  const widths = [spec.featureDim, ...hidden, spec.actionDim];
  let total = spec.action.kind === "box" ? spec.actionDim : 0;
  for (let k = 1; k < widths.length; k++) total += (widths[k - 1] + 1) * widths[k];
  return total;
}

/** The training settings against the limits: the batch size, and the policy the spaces and hidden layers make. */
export function checkTrainingSize(spec: EnvSpec, settings: TrainingSettings): void {
  if (settings.episodesPerUpdate > MAX_EPISODES_PER_UPDATE)
    overLimit(
      `training.episodesPerUpdate = ${count(settings.episodesPerUpdate)} is over the engine's limit of ${count(MAX_EPISODES_PER_UPDATE)} episodes per update (each is a live environment and a row of per-episode gradients). Batches past a few hundred rarely help: \`rl-playground check\` gives the noise scale, the batch size that balances signal and noise.`,
      "training",
      "episodesPerUpdate",
    );
  const parameters = policyParameters(spec, settings.policy.hidden);
  if (parameters > MAX_POLICY_PARAMETERS) {
    // The hidden layers are at fault when the spaces alone (a linear policy) would fit.
    const spacesAlone = policyParameters(spec, []) > MAX_POLICY_PARAMETERS;
    const message = `the policy would have ${count(parameters)} parameters (${spec.featureDim} inputs, hidden layers [${settings.policy.hidden.join(", ")}], ${spec.actionDim} outputs), over the engine's limit of ${count(MAX_POLICY_PARAMETERS)}`;
    if (spacesAlone || settings.policy.hidden.length === 0)
      overLimit(
        `${message}: the ${spec.observation.kind === "discrete" || spec.featureDim >= spec.actionDim ? "observation" : "action"} space is too large. Describe it with fewer features or actions.`,
        spec.featureDim >= spec.actionDim ? "observationSpace" : "actionSpace",
      );
    overLimit(`${message}. Use smaller hidden layers in training.policy.hidden.`, "training", "policy.hidden");
  }
  checkRolloutSize(spec, settings.episodesPerUpdate, "training");
}
