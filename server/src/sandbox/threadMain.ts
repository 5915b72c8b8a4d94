/**
 * The runner thread: loads TensorFlow.js and its backend once, then serves jobs one after
 * another (train, probe, playback), each in a fresh module scope: the user's bundle is
 * evaluated again for every job, with a fresh guard. User code only ever runs here; the
 * caller watches the guard buffer and terminates this thread when a call does not return in
 * time. A job that leaves anything behind (`threadLeftovers.ts`) is the thread's last.
 */
import * as fs from "node:fs";
import { parentPort, workerData } from "node:worker_threads";
import type { BackendName, FailingEpisode, PlaybackResult, TrainingSettings } from "../protocol";
import { decideBackend, policyParameters, type BackendDecision } from "../rl/backend";
import { describeEnvironment, type EnvSpec } from "../rl/envSpec";
import { ProbeCancelled, probe } from "../rl/probe";
import { policyWeightCount } from "../rl/savedPolicy";
import { resolveSettings } from "../rl/settings";
import { train } from "../rl/train";
import { tf } from "../rl/tf";
import { BundleMap } from "./bundleMap";
import { watchUserCallbacks } from "./threadCallbackWatch";
import { guardProcessSignals } from "./threadSignalGuard";
import { CallGuard } from "./callGuard";
import { unexpectedErrorOutcome } from "./threadEngineFailure";
import { UserCodeError } from "../rl/userCode";
import { leftBehind, threadState } from "./threadLeftovers";
import { serveGym } from "./threadGymServe";
import { playbackJob, playEpisode } from "./threadPlayback";
import { EpisodeRecorder, fuzzEnvironment, replayActions, type ReplayResult, type ReplayStep } from "../rl/failingEpisode";
import { CpuTimeBudget } from "../rl/timeBound";
import type { RunnerJob, RunnerJobMessage, RunnerMessage, RunnerOutcome, RunnerStart, TrainingStart } from "./runnerMessages";
import { loadUserModule, type UserModule } from "./threadUserModule";

const start = workerData as RunnerStart;
guardProcessSignals();
// Bound now, before any user code runs: a file that patches MessagePort or setImmediate must
// not keep a job from reporting its end.
const postMessage = parentPort ? parentPort.postMessage.bind(parentPort) : () => undefined;
const post = (message: RunnerMessage) => postMessage(message);
const nextTurn = setImmediate;
const nextTimerTurn = setTimeout;
const traceFd = start.traceFile === undefined ? undefined : fs.openSync(start.traceFile, "a");

/** The backend for a job whose policy size is not known yet, loaded before any job arrives. */
const ready: Promise<BackendDecision | Error> = decideBackend(start.backend).then(
  (decision) => {
    // Run a first kernel now, so that lazy set-up is not counted against a job.
    tf.tidy(() => tf.matMul(tf.ones([2, 2]), tf.ones([2, 2])).dataSync());
    return decision;
  },
  (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
);

let queue = Promise.resolve();
parentPort?.on("message", (message: RunnerJobMessage) => {
  queue = queue.then(() => serve(message));
});

/** Every job ends with "done", whatever broke: without it the caller would wait forever. */
async function serve(message: RunnerJobMessage): Promise<void> {
  let map: BundleMap | null = null;
  try {
    map = new BundleMap(message.bundle);
    await serveJob(message, map);
  } catch (error) {
    // Our own bookkeeping failed after the job (a built-in it uses was replaced by the file, say).
    const outcome = map
      ? unexpectedErrorOutcome(error, map, null, null)
      : { ok: false as const, error: `the runner failed: ${error instanceof Error ? error.message : "unknown error"}`, backend: null };
    post({ type: "done", outcome, clean: false });
  }
}

async function serveJob({ bundle, job, guard: buffer }: RunnerJobMessage, map: BundleMap): Promise<void> {
  const initial = await ready;
  if (initial instanceof Error) {
    post({ type: "done", outcome: { ok: false, error: initial.message, backend: null }, clean: false });
    return;
  }
  const before = threadState();
  let backend: BackendName | null = null;
  let outcome: RunnerOutcome<unknown>;
  const guard = new CallGuard(buffer, traceFd);
  // From before the file is evaluated (a timer set at its top level) to after the job's own
  // callbacks had their turn (a promise reaction left by a failed load), see `threadCallbackWatch.ts`.
  const callbacks = watchUserCallbacks(guard, map);
  try {
    const user = loadUserModule(bundle, guard, map);
    const decision = start.backend === "auto" ? await decideBackend("auto", parametersOf(user, job)) : initial;
    backend = decision.name;
    post({ type: "backend", backend: decision.name, reason: decision.reason });
    if (job.kind === "train") post({ type: "started", start: trainingStart(user, job.overrides) });
    const value = await runJob(user, guard, job, decision.name);
    // An error thrown in a timer or a promise callback must not be lost behind a result.
    await user.settled();
    outcome = { ok: true, value, backend: decision.name };
  } catch (error) {
    outcome = outcomeOf(error, backend, () => unexpectedErrorOutcome(error, map, leftBehind(before), backend));
  }
  // One turn of the event loop, timers phase included, before the end: a callback the file
  // scheduled that is already due (a 0 ms timer set at load, an immediate) runs now, under the
  // watch, whatever the job's length, instead of after it as a leftover.
  await new Promise((resolve) => nextTimerTurn(resolve, 0));
  await new Promise((resolve) => nextTurn(resolve));
  callbacks.stop();
  const left = leftBehind(before);
  post({ type: "done", outcome, clean: left === null });
}

function outcomeOf(error: unknown, backend: BackendName | null, unexpected: () => RunnerOutcome<unknown>): RunnerOutcome<unknown> {
  if (error instanceof UserCodeError) return { ok: false, failure: error.failure, backend };
  if (error instanceof ProbeCancelled) return { ok: false, cancelled: true, backend };
  return unexpected();
}

async function runJob(user: UserModule, guard: CallGuard, job: RunnerJob, backend: BackendName): Promise<unknown> {
  switch (job.kind) {
    case "probe":
      return probe(user, guard, job.probe);
    case "playback":
      return playbackJob(user, job.playback);
    case "gym":
      return serveGym(user, job.gym);
    case "replay":
      return replayEpisode(user, job.episode);
    case "fuzz":
      return fuzzEnvironment(user, specOf(user), job.episodes, job.seed);
    case "train": {
      const every = job.playbackEveryMs ?? null;
      let lastPlayback = performance.now();
      let canRender = every !== null;
      const recorder = new EpisodeRecorder(user);
      return shrinkingFailures(user, recorder, () =>
        train(recorder.recorded, guard, {
          overrides: job.overrides,
          backend,
          runDir: job.runDir,
          continueAfterSolved: job.continueAfterSolved,
          onProgress: (metrics) => post({ type: "progress", metrics }),
          onHeartbeat: (heartbeat) => post({ type: "heartbeat", heartbeat }),
          onUpdate: (policy, spec) => {
            if (!canRender || performance.now() - lastPlayback < (every as number)) return;
            const request = { mode: job.playbackMode ?? "greedy", maxFrames: 500, seed: 0 };
            const result = playDuringTraining(() => playEpisode(user, request, { policy, spec }));
            canRender = !(result.ok === false && result.reason === "no-render");
            lastPlayback = performance.now();
            post({ type: "playback", result });
          },
        }),
      );
    }
  }
}

/** CPU time the shrinking of a failing training episode may take (it replays the episode many times). */
const SHRINK_CPU_MS = 3_000;

/**
 * A training whose user code fails (throws, returns a non-finite value, leaves the observation
 * space) reports the failure with the episode that leads to it, shrunk as the probe's are.
 */
async function shrinkingFailures<T>(user: UserModule, recorder: EpisodeRecorder, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    if (!(error instanceof UserCodeError) || error.failure.episode) throw error;
    const failure = error.failure;
    const spec = specOf(user);
    const episode = recorder.failingEpisode(failure, spec, new CpuTimeBudget(SHRINK_CPU_MS));
    if (episode) failure.episode = episode;
    throw error;
  }
}

/** A playback that fails (render() throws, say) is reported as such; the training goes on. */
function playDuringTraining(play: () => PlaybackResult): PlaybackResult {
  try {
    return play();
  } catch (error) {
    const message = error instanceof UserCodeError ? error.failure.message : error instanceof Error ? error.message : String(error);
    return { ok: false, reason: "error", message };
  }
}

/** Every step of a failing episode and the failure it ends in (the failure is a result here, not an error). */
function replayEpisode(user: UserModule, episode: FailingEpisode): ReplayResult {
  const spec = specOf(user);
  const steps: ReplayStep[] = [];
  const failure = replayActions(user, spec, episode.seed, episode.actions, (s) => steps.push(s));
  return { steps, failure };
}

/** The environment's spaces and limits, from a fresh instance (a constructor that throws fails as "construct"). */
function specOf(user: UserModule): EnvSpec {
  return user.guarded("construct", () => describeEnvironment(user.create()));
}

/** Settings and spaces as the job will see them (a bad value fails here as it would there). */
function describe(user: UserModule, overrides: Partial<TrainingSettings>): { settings: TrainingSettings; spec: EnvSpec } {
  const settings = resolveSettings(user.training, overrides);
  const env = user.create();
  return { settings, spec: user.guarded("construct", () => describeEnvironment(env)) };
}

/** The policy's size, which `auto` picks the backend by: its layer sizes from the settings and the spaces. */
function parametersOf(user: UserModule, job: RunnerJob): number {
  if (job.kind === "playback") return policyWeightCount(job.playback.policy);
  if (job.kind === "gym" || job.kind === "replay" || job.kind === "fuzz") return 0; // no policy: the actions are given or random
  const { settings, spec } = describe(user, job.kind === "train" ? job.overrides : job.probe.overrides);
  const box = spec.action.kind === "box";
  return policyParameters([spec.featureDim, ...settings.policy.hidden, spec.actionDim], box ? spec.actionDim : 0);
}

function trainingStart(user: UserModule, overrides: Partial<TrainingSettings>): TrainingStart {
  const { settings, spec } = describe(user, overrides);
  return {
    environment: user.name,
    settings,
    rewardThreshold: spec.rewardThreshold,
    actionSpace: spec.action.kind === "discrete" ? { kind: "discrete", n: spec.action.n } : { kind: "box", dims: spec.action.dim },
  };
}
