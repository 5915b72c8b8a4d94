/**
 * One episode of a policy, drawn: reset with a seed, then act and call the environment's
 * `render()` after the reset and after every step, up to `maxFrames` steps (the reset's frame
 * is not one of them: a 500-step episode under a cap of 500 is shown whole, 501 frames), and
 * say how it ended. Runs in the
 * runner thread, every call into user code under the watchdog. The policy comes from a run
 * folder (read by `engine/savedPolicy.ts`, loaded by tf.io in `rl/savedPolicy.ts`) or is a training's
 * own, live (`onPlayback` during training).
 */
import type { PlaybackEnding, PlaybackResult, PolicyWeights, Scene } from "../protocol";
import { makeRng, normal, type Environment } from "../runtime/index";
import { checkReset, checkStep, describeEnvironment, show, writeFeatures, type EnvSpec } from "../rl/envSpec";
import { Policy } from "../rl/policy";
import { isSavedPolicy, loadSavedPolicy } from "../rl/savedPolicy";
import { transitionReward } from "../rl/transitionReward";
import { tf } from "../rl/tf";
import { fail } from "../rl/userCode";
import type { PlaybackRequest } from "./runnerMessages";
import type { UserModule } from "./threadUserModule";

/** A Policy for `spec` holding `weights`, or a message saying why they do not fit. */
export function policyFromWeights(spec: EnvSpec, weights: PolicyWeights): Policy | string {
  const policy = new Policy(spec, weights.hidden, weights.activation, 0);
  const variables = policy.variables();
  const given = [...weights.tensors, ...(weights.logStd ? [{ shape: [weights.logStd.length], values: weights.logStd }] : [])];
  const fits = given.length === variables.length && variables.every((v, k) => v.shape.join() === given[k].shape.join());
  if (!fits) {
    policy.dispose();
    return `the policy's shapes (${given.map((g) => `[${g.shape}]`).join(" ")}) do not fit this environment's spaces (${variables.map((v) => `[${v.shape}]`).join(" ")}): was it trained on another version of the file?`;
  }
  variables.forEach((v, k) => tf.tidy(() => v.assign(tf.tensor(given[k].values, given[k].shape))));
  policy.invalidate();
  return policy;
}

export type EpisodeRequest = Omit<PlaybackRequest, "policy">;

/** A playback job: a run folder's policy is loaded first (by tf.io), then played. */
export async function playbackJob(user: UserModule, request: PlaybackRequest): Promise<PlaybackResult> {
  const policy = isSavedPolicy(request.policy) ? await loadSavedPolicy(request.policy) : request.policy;
  return playEpisode(user, { ...request, policy });
}

/** Plays the episode with the policy of `request` (a run folder's), or with a training's live policy. */
export function playEpisode(
  user: UserModule,
  request: EpisodeRequest & { policy?: PolicyWeights },
  live?: { policy: Policy; spec: EnvSpec },
): PlaybackResult {
  const env = user.create();
  if (typeof (env as { render?: unknown }).render !== "function")
    return { ok: false, reason: "no-render", message: "the environment has no render() method to draw its state" };
  const spec = live?.spec ?? user.guarded("construct", () => describeEnvironment(env));
  const policy = live?.policy ?? (request.policy ? policyFromWeights(spec, request.policy) : "no policy was given");
  if (typeof policy === "string") return { ok: false, reason: "no-policy", message: policy };
  try {
    return runEpisode(user, env, spec, policy, request);
  } finally {
    if (!live) policy.dispose();
  }
}

function runEpisode(
  user: UserModule,
  env: Environment<unknown, unknown>,
  spec: EnvSpec,
  policy: Policy,
  request: EpisodeRequest,
): PlaybackResult {
  const rng = makeRng(`${request.seed}/playback`);
  const features = new Float32Array(spec.featureDim);
  const frames: Scene[] = [];
  const actions: unknown[] = [];
  const rewards: number[] = [];
  // render() is watched as itself, so an endless loop or a throw in it is placed on render, not on step.
  const draw = () => frames.push(user.guarded("render", () => checkScene((env.render as () => unknown).call(env))));
  let observation = user.guarded("reset", () => {
    const obs = checkReset(env.reset(request.seed));
    writeFeatures(spec, obs, features, 0, "reset");
    return obs;
  });
  draw();
  const std = policy.std();
  let ending: PlaybackEnding = { kind: "cut", steps: request.maxFrames };
  for (let t = 0; t < spec.maxEpisodeSteps && t < request.maxFrames; t++) {
    const out = policy.predict(features, 1);
    const action = chooseAction(spec, out, std, request.mode, rng);
    const s = user.guarded("step", () => {
      const result = checkStep(env.step(action));
      const ends = result.terminated || result.truncated;
      if (!ends) writeFeatures(spec, result.observation, features, 0, "step");
      return result;
    });
    const { total } = transitionReward(user, observation, action, s);
    actions.push(action);
    rewards.push(total);
    draw();
    if (s.terminated || s.truncated) {
      ending = s.terminated ? { kind: "terminated" } : { kind: "truncated", by: "environment" };
      break;
    }
    observation = s.observation;
  }
  // The time limit ends the episode as the training's rollouts end it (design's truncation at maxEpisodeSteps).
  if (ending.kind === "cut" && actions.length === spec.maxEpisodeSteps)
    ending = { kind: "truncated", by: "maxEpisodeSteps", maxEpisodeSteps: spec.maxEpisodeSteps };
  return { ok: true, frames, actions, rewards, episodeReturn: rewards.reduce((a, b) => a + b, 0), ending };
}

/** Greedy: the most likely action (the Gaussian's mean); sampled: a draw, as in training. */
function chooseAction(spec: EnvSpec, out: Float32Array, std: Float32Array | null, mode: "greedy" | "sampled", rng: () => number): unknown {
  if (spec.action.kind === "discrete") {
    let k = 0;
    if (mode === "greedy") for (let a = 1; a < spec.actionDim; a++) k = out[a] > out[k] ? a : k;
    else {
      const max = Math.max(...out);
      const weights = Array.from(out, (x) => Math.exp(x - max));
      let u = rng() * weights.reduce((a, b) => a + b, 0);
      for (k = 0; k < weights.length - 1 && (u -= weights[k]) >= 0; k++);
    }
    return spec.action.start + k;
  }
  const { low, high } = spec.action;
  return Array.from(out, (m, d) => {
    const raw = mode === "greedy" ? m : m + (std as Float32Array)[d] * normal(rng);
    return Math.min(high[d], Math.max(low[d], raw));
  });
}

function checkScene(scene: unknown): Scene {
  const s = scene as Partial<Scene> | null;
  if (typeof s !== "object" || s === null || !Array.isArray(s.viewBox) || s.viewBox.length !== 4 || !Array.isArray(s.shapes))
    fail("bad-step", "render", `render() must return { viewBox: [x, y, width, height], shapes: [...] }, got ${show(scene)}`);
  return JSON.parse(JSON.stringify(s)) as Scene;
}
