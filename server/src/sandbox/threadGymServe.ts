/**
 * The runner's side of the Gymnasium bridge (the Python package `rl_playground`): N copies
 * of the user's environment, stepped in one batch per request that Python sends down a pipe.
 *
 * Python talks to this runner thread directly, through two FIFOs it created: one request
 * and one reply per step of the vector environment, with no hop through the runner's parent
 * processes, which keep their part unchanged (the watchdog on every user call, the memory
 * limit, the crash report). Every call into user code is guarded and checked exactly as the
 * trainer's rollout does (`rl/rollout.ts`): the same shape, bounds and finiteness checks,
 * the `reward` export, the truncation at `maxEpisodeSteps`. The first failure ends the job,
 * and with it the runner's ends of the pipes: Python sees the reply pipe close, and reads
 * the failure, placed in the user's file, from the bridge process (`gymBridge.ts`).
 *
 * Wire format (little-endian). A request is `u32 bodyBytes, u32 op`, then its body:
 *   RESET  f64 seeds[N], u8 resetMask[N], u8 hasSeed[N], u32 optionsBytes, options (JSON)
 *   STEP   f64 actions[N·A] (A = 1 for a Discrete action), u8 resetInstead[N]
 *   RENDER u32 copy
 *   CLOSE  (no body)
 * A reply is `u32 bodyBytes, u32 kind`, then for kind BATCH (a reset's or a step's result):
 *   f64 rewards[N], observations (f32[N·D] for a Box, f64[N] for a Discrete),
 *   u32 infoBytes[N], u8 terminated[N], u8 truncated[N], then each non-empty info as JSON
 * and for kind JSON one JSON document (the hello that describes the spaces, a rendered Scene).
 * JSON crosses only for what is rare or free-form: the hello, reset options, a Scene, and
 * an info that is not empty (most steps return `{}` and send 0 bytes for it).
 */
import * as fs from "node:fs";
import type { Environment } from "../runtime/index";
import { checkFinite, checkReset, checkStep, describeEnvironment, snapshot, writeFeatures, type EnvSpec } from "../rl/envSpec";
import { transitionReward } from "../rl/transitionReward";
import { UserCodeError, fail } from "../rl/userCode";
import type { UserModule } from "./threadUserModule";

export interface GymServeRequest {
  numEnvs: number;
  /** FIFO the runner reads requests from (Python writes). */
  requestPath: string;
  /** FIFO the runner writes replies to (Python reads; it holds it open before the runner starts). */
  replyPath: string;
}

export interface GymServeSummary {
  resets: number;
  steps: number;
}

export const OP = { reset: 1, step: 2, render: 3, close: 4 } as const;
export const REPLY = { batch: 0, json: 1 } as const;
const HEADER_BYTES = 8;

/** What Python needs to build the spaces; bounds as numbers, or "Infinity"/"-Infinity" (JSON has no infinities). */
type SpaceJson = { kind: "discrete"; n: number; start: number } | { kind: "box"; low: (number | string)[]; high: (number | string)[] };

export function serveGym(user: UserModule, request: GymServeRequest): GymServeSummary {
  const n = request.numEnvs;
  if (!Number.isInteger(n) || n < 1 || n > 4096) throw new Error(`numEnvs must be a whole number from 1 to 4096, got ${n}`);
  const envs = Array.from({ length: n }, () => user.create());
  const spec = user.guarded("construct", () => describeEnvironment(envs[0]));
  const extras = user.guarded("construct", () => optionalMembers(envs[0]));
  const server = new BatchServer(user, envs, spec);

  // Opened before the request pipe: Python already holds the reply pipe's read end, so this
  // does not block, and once Python's open of the request pipe succeeds a writer of the reply
  // pipe exists (a read then waits for data instead of seeing an end of file).
  const replyFd = fs.openSync(request.replyPath, fs.constants.O_WRONLY);
  let requestFd: number | null = null;
  try {
    requestFd = fs.openSync(request.requestPath, fs.constants.O_RDONLY);
    // Nothing left on disk, and a replay of this job after a crash (`hostProcess.ts`) fails
    // at once on the missing paths instead of waiting for a Python that is not there.
    for (const p of [request.requestPath, request.replyPath]) fs.rmSync(p, { force: true });
    writeJson(replyFd, {
      name: user.name,
      numEnvs: n,
      observationSpace: spaceJson(spec.observation),
      actionSpace: spaceJson(spec.action),
      maxEpisodeSteps: spec.maxEpisodeSteps,
      rewardThreshold: spec.rewardThreshold,
      renderModes: extras.renderModes,
      hasRewardExport: user.hasRewardExport,
    });
    const reader = new FrameReader(requestFd);
    for (;;) {
      const frame = reader.next();
      // End of file: Python closed its end (it exited, or was killed).
      if (frame === null) break;
      const { op, body } = frame;
      if (op === OP.reset) writeAll(replyFd, server.reset(body));
      else if (op === OP.step) writeAll(replyFd, server.step(body));
      else if (op === OP.render) writeJsonText(replyFd, server.render(body));
      else if (op === OP.close) {
        server.close(extras.hasClose);
        break;
      } else throw new Error(`gym bridge: unknown request ${op}`);
    }
  } finally {
    if (requestFd !== null) fs.closeSync(requestFd);
    fs.closeSync(replyFd);
  }
  return { resets: server.resets, steps: server.steps };
}

/** `renderModes` (default ["scene"] when the class has `render()`) and whether it has `close()`. */
function optionalMembers(env: Environment<unknown, unknown>): { renderModes: string[]; hasClose: boolean } {
  const declared = (env as { renderModes?: unknown }).renderModes;
  const hasRender = typeof env.render === "function";
  const renderModes = Array.isArray(declared) ? declared.map(String) : hasRender ? ["scene"] : [];
  return { renderModes, hasClose: typeof (env as { close?: unknown }).close === "function" };
}

function spaceJson(space: EnvSpec["observation"] | EnvSpec["action"]): SpaceJson {
  if (space.kind === "discrete") return { kind: "discrete", n: space.n, start: space.start };
  const finite = (x: number) => (Number.isFinite(x) ? x : String(x));
  return { kind: "box", low: Array.from(space.low, finite), high: Array.from(space.high, finite) };
}

/** The N copies, their last observations, and the batch reply being built. */
class BatchServer {
  private readonly n: number;
  private readonly obsDim: number;
  private readonly actDim: number;
  /** Steps since each copy's last reset, for the truncation at maxEpisodeSteps (Gymnasium's TimeLimit). */
  private readonly elapsed: Int32Array;
  /** The observation each copy last returned (a copy of it), for the `reward` export's `observation`. */
  private readonly current: unknown[];
  /** One-hot scratch for validating a Discrete observation with the trainer's own check. */
  private readonly oneHot: Float32Array;
  private readonly reply: Uint8Array;
  private readonly rewards: Float64Array;
  private readonly obsBox: Float32Array;
  private readonly obsDiscrete: Float64Array;
  private readonly infoBytes: Uint32Array;
  private readonly terminated: Uint8Array;
  private readonly truncated: Uint8Array;
  private readonly infos: (Buffer | null)[];
  resets = 0;
  steps = 0;

  constructor(
    private readonly user: UserModule,
    private readonly envs: Environment<unknown, unknown>[],
    private readonly spec: EnvSpec,
  ) {
    const n = (this.n = envs.length);
    const box = spec.observation.kind === "box";
    this.obsDim = spec.observation.kind === "box" ? spec.observation.dim : 1;
    this.actDim = spec.action.kind === "box" ? spec.action.dim : 1;
    this.elapsed = new Int32Array(n);
    this.current = new Array(n);
    this.oneHot = new Float32Array(spec.featureDim);
    const obsBytes = box ? 4 * n * this.obsDim : 8 * n;
    const size = HEADER_BYTES + 8 * n + obsBytes + 4 * n + 2 * n;
    const buffer = new ArrayBuffer(size);
    this.reply = new Uint8Array(buffer);
    let at = HEADER_BYTES;
    this.rewards = new Float64Array(buffer, at, n);
    at += 8 * n;
    this.obsBox = new Float32Array(buffer, at, box ? n * this.obsDim : 0);
    this.obsDiscrete = new Float64Array(buffer, at, box ? 0 : n);
    at += obsBytes;
    this.infoBytes = new Uint32Array(buffer, at, n);
    at += 4 * n;
    this.terminated = new Uint8Array(buffer, at, n);
    this.truncated = new Uint8Array(buffer, at + n, n);
    this.infos = new Array<Buffer | null>(n).fill(null);
  }

  reset(body: DataView): Uint8Array {
    const n = this.n;
    const seeds = new Float64Array(body.buffer, body.byteOffset, n);
    const mask = new Uint8Array(body.buffer, body.byteOffset + 8 * n, n);
    const hasSeed = new Uint8Array(body.buffer, body.byteOffset + 9 * n, n);
    const optionsBytes = body.getUint32(10 * n, true);
    const options: unknown =
      optionsBytes > 0 ? JSON.parse(Buffer.from(body.buffer, body.byteOffset + 10 * n + 4, optionsBytes).toString("utf8")) : undefined;
    this.beginBatch();
    for (let i = 0; i < n; i++) if (mask[i]) this.resetCopy(i, hasSeed[i] ? seeds[i] : undefined, options);
    return this.endBatch();
  }

  step(body: DataView): Uint8Array {
    const { n, actDim, spec, user } = this;
    const actions = new Float64Array(body.buffer, body.byteOffset, n * actDim);
    const resetInstead = new Uint8Array(body.buffer, body.byteOffset + 8 * n * actDim, n);
    this.beginBatch();
    for (let i = 0; i < n; i++) {
      // Gymnasium's next-step autoreset: a copy whose episode ended is reset now, its action ignored.
      if (resetInstead[i]) {
        this.resetCopy(i, undefined, undefined);
        continue;
      }
      const action: unknown = spec.action.kind === "discrete" ? actions[i] : Array.from(actions.subarray(i * actDim, (i + 1) * actDim));
      const env = this.envs[i];
      const s = user.guarded("step", () => {
        const result = checkStep(env.step(action));
        this.writeObservation(i, result.observation, "step");
        return result;
      });
      const elapsed = ++this.elapsed[i];
      let reward = s.reward;
      // With a `reward` export its value replaces step()'s, as in training; info keeps step()'s
      // as `env_reward`, and named terms as `reward_terms`.
      let extra: Record<string, unknown> | null = null;
      if (user.hasRewardExport) {
        const next = snapshot(s.observation);
        const { total, terms } = transitionReward(user, this.current[i], action, { ...s, observation: next });
        this.current[i] = next;
        reward = total;
        extra = terms ? { reward_terms: Object.fromEntries(terms), env_reward: s.reward } : { env_reward: s.reward };
      }
      const rewardCall = user.hasRewardExport ? "reward" : "step";
      checkFinite(reward, rewardCall, `${rewardCall}() returned a reward of ${reward}`, "rewards");
      this.rewards[i] = reward;
      this.terminated[i] = s.terminated ? 1 : 0;
      // Cut at maxEpisodeSteps, as in training: a step that terminates is not also truncated
      // (Gymnasium's TimeLimit would set both, and check_env then fails a one-step episode).
      this.truncated[i] = s.truncated || (!s.terminated && elapsed >= spec.maxEpisodeSteps) ? 1 : 0;
      this.setInfo(i, s.info, extra, "step");
      this.steps++;
    }
    return this.endBatch();
  }

  /** The copy's Scene as JSON text ("null" without `render()`). */
  render(body: DataView): string {
    const i = body.getUint32(0, true);
    if (i >= this.n) throw new Error(`gym bridge: render of copy ${i} of ${this.n}`);
    const env = this.envs[i];
    if (typeof env.render !== "function") return "null";
    // Made plain JSON inside the guard: a Scene's getters are user code too.
    return this.user.guarded("render", () => JSON.stringify(env.render?.() ?? null));
  }

  close(hasClose: boolean): void {
    if (!hasClose) return;
    for (const env of this.envs) {
      try {
        // The watchdog has no name of its own for close(): it is timed as the constructor's companion.
        this.user.guarded("construct", () => (env as unknown as { close(): unknown }).close());
      } catch (error) {
        if (!(error instanceof UserCodeError)) throw error;
        throw new UserCodeError({ ...error.failure, message: error.failure.message.replace(/^construct\(\)/, "close()") });
      }
    }
  }

  private resetCopy(i: number, seed: number | undefined, options: unknown): void {
    const env = this.envs[i];
    const info = this.user.guarded("reset", () => {
      const result = options === undefined ? env.reset(seed) : (env.reset as (s?: number, o?: unknown) => unknown)(seed, options);
      const obs = checkReset(result);
      this.writeObservation(i, obs, "reset");
      this.current[i] = this.user.hasRewardExport ? snapshot(obs) : obs;
      return (result as [unknown, Record<string, unknown>])[1];
    });
    this.elapsed[i] = 0;
    this.rewards[i] = 0;
    this.terminated[i] = 0;
    this.truncated[i] = 0;
    this.setInfo(i, info, null, "reset");
    this.resets++;
  }

  /** Validates with the trainer's check (`writeFeatures`), then stores the observation as Python will see it. */
  private writeObservation(i: number, obs: unknown, call: "reset" | "step"): void {
    if (this.spec.observation.kind === "box") writeFeatures(this.spec, obs, this.obsBox, i * this.obsDim, call);
    else {
      writeFeatures(this.spec, obs, this.oneHot, 0, call);
      this.obsDiscrete[i] = obs as number;
    }
  }

  private setInfo(i: number, info: Record<string, unknown>, extra: Record<string, unknown> | null, call: "reset" | "step"): void {
    const empty = extra === null && Object.keys(info).length === 0;
    if (empty) {
      this.infos[i] = null;
      this.infoBytes[i] = 0;
      return;
    }
    const text = this.user.guarded(call, () => {
      try {
        return JSON.stringify(extra ? { ...info, ...extra } : info, (_key, v: unknown) =>
          typeof v === "number" && !Number.isFinite(v) ? String(v) : typeof v === "bigint" ? Number(v) : v,
        );
      } catch (error) {
        return fail(
          call === "reset" ? "bad-reset" : "bad-step",
          call,
          `${call}() returned an info that cannot be sent to Python as JSON (${error instanceof Error ? error.message : String(error)}): keep info to plain numbers, strings, booleans, arrays and objects`,
        );
      }
    });
    const bytes = Buffer.from(text, "utf8");
    this.infos[i] = bytes;
    this.infoBytes[i] = bytes.length;
  }

  private beginBatch(): void {
    this.infos.fill(null);
    this.infoBytes.fill(0);
  }

  /** The reply: the fixed-size arrays, then the non-empty infos. */
  private endBatch(): Uint8Array {
    const present = this.infos.filter((b): b is Buffer => b !== null);
    const fixed = this.reply;
    const total = present.reduce((s, b) => s + b.length, fixed.length);
    const header = new DataView(fixed.buffer, 0, HEADER_BYTES);
    header.setUint32(0, total - HEADER_BYTES, true);
    header.setUint32(4, REPLY.batch, true);
    return present.length === 0 ? fixed : Buffer.concat([fixed, ...present]);
  }
}

/** Reads length-prefixed request frames from a blocking file descriptor. */
class FrameReader {
  private buffer = new ArrayBuffer(1 << 16);

  constructor(private readonly fd: number) {}

  /** The next frame, or null at end of file. Its body is valid until the next call. */
  next(): { op: number; body: DataView } | null {
    const head = new Uint8Array(this.buffer, 0, HEADER_BYTES);
    if (!this.readExactly(head)) return null;
    const view = new DataView(this.buffer);
    const bodyBytes = view.getUint32(0, true);
    const op = view.getUint32(4, true);
    if (HEADER_BYTES + bodyBytes > this.buffer.byteLength) {
      // Grown by whole multiples of 8 so that the body's f64 arrays stay aligned.
      const grown = new ArrayBuffer(Math.ceil((HEADER_BYTES + bodyBytes) / 8) * 8);
      this.buffer = grown;
    }
    const body = new Uint8Array(this.buffer, HEADER_BYTES, bodyBytes);
    if (!this.readExactly(body)) return null;
    return { op, body: new DataView(this.buffer, HEADER_BYTES, bodyBytes) };
  }

  private readExactly(into: Uint8Array): boolean {
    let got = 0;
    while (got < into.length) {
      const read = fs.readSync(this.fd, into, got, into.length - got, null);
      if (read === 0) return false;
      got += read;
    }
    return true;
  }
}

function writeJson(fd: number, value: unknown): void {
  writeJsonText(fd, JSON.stringify(value));
}

function writeJsonText(fd: number, text: string): void {
  const body = Buffer.from(text, "utf8");
  const frame = Buffer.alloc(HEADER_BYTES + body.length);
  frame.writeUInt32LE(body.length, 0);
  frame.writeUInt32LE(REPLY.json, 4);
  body.copy(frame, HEADER_BYTES);
  writeAll(fd, frame);
}

function writeAll(fd: number, bytes: Uint8Array): void {
  let written = 0;
  while (written < bytes.length) written += fs.writeSync(fd, bytes, written, bytes.length - written);
}
