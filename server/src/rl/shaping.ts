/**
 * Whether a named reward term changes the optimal policy (design §5 `shaping-changes-optimum`).
 *
 * Ng, Harada & Russell (1999): a shaping term F(s, a, s′) = γΦ(s′) − Φ(s) leaves every optimal
 * policy unchanged; any other term may not. Both questions are answered as facts, and only for
 * *finite* environments: Discrete observations and actions, and a step that is a function of the
 * observation and the action. The state graph is built by replaying action prefixes from the
 * seeded reset (breadth first, up to MAX_STATES states); a state is its observation, and if the
 * same observation and action ever lead to two different outcomes, the observation is not the
 * state and nothing is said. Elsewhere (Box observations, no repeated states) a fit that cannot
 * fail proves nothing, so nothing is said either.
 *
 *  - Potential-based: does some Φ over the visited states (Φ = 0 after termination) give
 *    F = γΦ(s′) − Φ(s) on every observed transition? Φ is propagated along the transitions as
 *    Φ(s) = α_s + β_s·c from one free value c per connected part, then every transition is
 *    checked (a shift of Φ by c changes γΦ(s′) − Φ(s) by (γ − 1)c, so with γ < 1 the cycles fix c).
 *    A term that is potential-based for γ = 1 but not for the training's γ (progress = d(s) − d(s′)
 *    with γ = 0.99 is off by (1 − γ)Φ(s′)) is reported as such.
 *  - Changes the optimum: value iteration with and without the term; the greedy action sets
 *    differ (are disjoint) in a state the greedy policy with the term reaches from the start.
 */
import type { EnvSpec } from "./envSpec";
import { checkReset, checkStep } from "./envSpec";
import { transitionReward } from "./transitionReward";
import type { CpuTimeBudget } from "./timeBound";
import type { UserEnvironmentModule } from "./userCode";

/** The state graph's size limit, and the environment steps its replays may take. */
export const MAX_STATES = 10_000;
const MAX_REPLAY_STEPS = 300_000;
const VALUE_ITERATIONS = 100_000;

export interface TermShaping {
  name: string;
  /** "yes": potential-based at the training's γ; "gamma-one": only at γ = 1; "no". */
  potentialBased: "yes" | "gamma-one" | "no";
  /** The greedy optimal policy with the term differs from the one without it: where, and how. */
  changesOptimum: { state: number; with: number[]; without: number[] } | null;
}

export interface ShapingReport {
  states: number;
  transitions: number;
  gamma: number;
  terms: TermShaping[];
}

interface Edge {
  from: number;
  action: number;
  /** The next state, or -1 when the transition terminates. */
  to: number;
  total: number;
  terms: Map<string, number>;
}

/** The analysis of the file comment, or null where it proves nothing (or does not fit its limits). */
export function analyzeShaping(
  user: UserEnvironmentModule,
  spec: EnvSpec,
  seed: number,
  gamma: number,
  budget?: CpuTimeBudget,
): ShapingReport | null {
  const act = spec.action;
  if (spec.observation.kind !== "discrete" || act.kind !== "discrete" || !user.hasRewardExport) return null;
  const graph = buildGraph(user, spec, seed, budget);
  if (!graph || graph.edges.length === 0) return null;
  const names = [...graph.edges[0].terms.keys()];
  if (names.length === 0 || graph.edges.some((e) => e.terms.size !== names.length)) return null;
  const withAll = valueIteration(graph.bySource, (e) => e.total, gamma);
  if (!withAll) return null;
  const reach = reachable(graph.start, graph.bySource, withAll.greedy);
  const terms: TermShaping[] = names.map((name) => {
    const value = (e: Edge) => e.terms.get(name) as number;
    const potentialBased = fitsPotential(graph.states, graph.edges, value, gamma)
      ? "yes"
      : fitsPotential(graph.states, graph.edges, value, 1)
        ? "gamma-one"
        : "no";
    let changesOptimum: TermShaping["changesOptimum"] = null;
    if (potentialBased !== "yes") {
      const without = valueIteration(graph.bySource, (e) => e.total - value(e), gamma);
      if (without)
        for (const s of reach)
          if (withAll.greedy[s].every((a) => !without.greedy[s].includes(a))) {
            changesOptimum = {
              state: graph.observation[s],
              with: withAll.greedy[s].map((a) => act.start + a),
              without: without.greedy[s].map((a) => act.start + a),
            };
            break;
          }
    }
    return { name, potentialBased, changesOptimum };
  });
  return { states: graph.states, transitions: graph.edges.length, gamma, terms };
}

interface Graph {
  states: number;
  start: number;
  /** The observation of each state index. */
  observation: number[];
  edges: Edge[];
  bySource: Edge[][];
}

function bySourceOf(states: number, edges: Edge[]): Edge[][] {
  const out: Edge[][] = Array.from({ length: states }, () => []);
  for (const e of edges) out[e.from].push(e);
  return out;
}

/** Breadth-first over action prefixes from reset(seed); null when the step is not a function of the observation, or past the limits. */
function buildGraph(user: UserEnvironmentModule, spec: EnvSpec, seed: number, budget?: CpuTimeBudget): Graph | null {
  if (spec.action.kind !== "discrete") return null;
  const A = spec.action.n;
  const env = user.create();
  const index = new Map<number, number>();
  const observation: number[] = [];
  const prefixes: number[][] = [];
  const edges: Edge[] = [];
  let steps = 0;
  const stateOf = (obs: unknown): number | null => {
    if (typeof obs !== "number") return null;
    let s = index.get(obs);
    if (s === undefined) {
      s = observation.length;
      index.set(obs, s);
      observation.push(obs);
    }
    return s;
  };
  const start = stateOf(user.guarded("reset", () => checkReset(env.reset(seed))));
  if (start === null) return null;
  prefixes.push([]);
  for (let s = 0; s < observation.length; s++) {
    for (let a = 0; a < A; a++) {
      if (budget?.exhausted || steps > MAX_REPLAY_STEPS) return null;
      // Replay the prefix that first reached s, then a.
      let obs = user.guarded("reset", () => checkReset(env.reset(seed)));
      const actions = [...prefixes[s], a];
      let edge: Edge | null = null;
      for (let k = 0; k < actions.length; k++) {
        const action = spec.action.start + actions[k];
        const result = user.guarded("step", () => checkStep(env.step(action)));
        steps++;
        if (k < actions.length - 1) {
          if (result.terminated) return null; // the prefix reached s once: not a function of the observation
          obs = result.observation;
          continue;
        }
        const reward = transitionReward(user, obs, action, result);
        const to = result.terminated ? -1 : stateOf(result.observation);
        if (to === null) return null;
        edge = { from: s, action: a, to, total: reward.total, terms: new Map(reward.terms ?? []) };
      }
      if (!edge) return null;
      edges.push(edge);
      if (edge.to >= 0 && edge.to === observation.length - 1 && prefixes.length < observation.length) prefixes.push(actions);
      if (observation.length > MAX_STATES) return null;
    }
  }
  // A fit with no more transitions than states cannot fail: it would prove nothing.
  if (edges.length <= observation.length) return null;
  const bySource = bySourceOf(observation.length, edges);
  // The same observation must always lead the same way: check every state reached by a second path.
  if (!consistent(user, spec, env, seed, { edges, prefixes, observation, bySource })) return null;
  return { states: observation.length, start, observation, edges, bySource };
}

/**
 * Replays the way out of every state entered by a second path (another edge than the one that
 * found it): the outcome of each action must be the same, or the observation is not the whole state.
 */
function consistent(
  user: UserEnvironmentModule,
  spec: EnvSpec,
  env: ReturnType<UserEnvironmentModule["create"]>,
  seed: number,
  graph: { edges: Edge[]; prefixes: number[][]; observation: number[]; bySource: Edge[][] },
): boolean {
  if (spec.action.kind !== "discrete") return false;
  const act = spec.action;
  const checked = new Set<number>();
  for (const e of graph.edges) {
    if (e.to < 0 || checked.has(e.to)) continue;
    const first = graph.prefixes[e.to];
    const alternative = [...graph.prefixes[e.from], e.action];
    if (first.length === alternative.length && first.every((x, k) => x === alternative[k])) continue;
    checked.add(e.to);
    for (const expected of graph.bySource[e.to]) {
      let before = user.guarded("reset", () => checkReset(env.reset(seed)));
      const path = [...alternative, expected.action];
      for (let k = 0; k < path.length; k++) {
        const action = act.start + path[k];
        const result = user.guarded("step", () => checkStep(env.step(action)));
        if (k < path.length - 1) {
          if (result.terminated) return false;
          before = result.observation;
          continue;
        }
        const reward = transitionReward(user, before, action, result);
        const sameEnd = result.terminated ? expected.to < 0 : expected.to >= 0 && result.observation === graph.observation[expected.to];
        if (!sameEnd || Math.abs(reward.total - expected.total) > 1e-9 * Math.max(1, Math.abs(expected.total))) return false;
      }
    }
  }
  return true;
}

/** V(s) = max_a [r + γ(1 − done)V(s′)] to convergence; the greedy action set of each state. Null if it does not converge. */
function valueIteration(
  bySource: Edge[][],
  reward: (e: Edge) => number,
  gamma: number,
): { value: Float64Array; greedy: number[][] } | null {
  const states = bySource.length;
  const V = new Float64Array(states);
  const q = (e: Edge) => reward(e) + (e.to < 0 ? 0 : gamma * V[e.to]);
  let converged = false;
  for (let it = 0; it < VALUE_ITERATIONS && !converged; it++) {
    let delta = 0;
    let scale = 1;
    for (let s = 0; s < states; s++) {
      let best = -Infinity;
      for (const e of bySource[s]) best = Math.max(best, q(e));
      if (best === -Infinity) best = 0;
      delta = Math.max(delta, Math.abs(best - V[s]));
      scale = Math.max(scale, Math.abs(best));
      V[s] = best;
    }
    converged = delta <= 1e-10 * scale;
  }
  if (!converged) return null;
  const greedy = bySource.map((out) => {
    if (out.length === 0) return [];
    const values = out.map(q);
    const best = Math.max(...values);
    const tol = 1e-7 * Math.max(1, Math.abs(best));
    return out.filter((_, k) => values[k] >= best - tol).map((e) => e.action);
  });
  return { value: V, greedy };
}

/** The states the greedy policy (any of its best actions) reaches from `start`. */
function reachable(start: number, bySource: Edge[][], greedy: number[][]): number[] {
  const seen = new Set<number>([start]);
  const queue = [start];
  for (let k = 0; k < queue.length; k++) {
    const s = queue[k];
    for (const e of bySource[s])
      if (greedy[s].includes(e.action) && e.to >= 0 && !seen.has(e.to)) {
        seen.add(e.to);
        queue.push(e.to);
      }
  }
  return queue;
}

/**
 * Whether F(e) = γΦ(to) − Φ(from) for some Φ (Φ = 0 after termination) on every edge: Φ is
 * propagated as α + β·c per connected part (see the file comment), then checked.
 */
function fitsPotential(states: number, edges: Edge[], F: (e: Edge) => number, gamma: number): boolean {
  const alpha = new Float64Array(states);
  const beta = new Float64Array(states);
  const part = new Int32Array(states).fill(-1);
  const neighbours: Edge[][] = Array.from({ length: states }, () => []);
  for (const e of edges) {
    neighbours[e.from].push(e);
    if (e.to >= 0) neighbours[e.to].push(e);
  }
  // A loop, not Math.max(...spread): a spread of many edges overflows the call stack.
  let scale = 1;
  for (const e of edges) scale = Math.max(scale, Math.abs(F(e)));
  const tol = 1e-7 * scale;
  const cOf: (number | null)[] = [];
  for (let root = 0; root < states; root++) {
    if (part[root] >= 0) continue;
    const p = cOf.length;
    cOf.push(null);
    part[root] = p;
    alpha[root] = 0;
    beta[root] = 1;
    const queue = [root];
    while (queue.length) {
      const s = queue.shift() as number;
      for (const e of neighbours[s]) {
        // γΦ(to) − Φ(from) = F: solve for the unassigned end.
        if (e.to < 0) continue;
        if (e.from === s && part[e.to] < 0 && gamma !== 0) {
          alpha[e.to] = (F(e) + alpha[s]) / gamma;
          beta[e.to] = beta[s] / gamma;
          part[e.to] = p;
          queue.push(e.to);
        } else if (e.to === s && part[e.from] < 0) {
          alpha[e.from] = gamma * alpha[s] - F(e);
          beta[e.from] = gamma * beta[s];
          part[e.from] = p;
          queue.push(e.from);
        }
      }
    }
  }
  // Every edge: (γα′ − α − F) + (γβ′ − β)·c = 0 (into termination: −α − F − β·c = 0).
  for (const e of edges) {
    const p = part[e.from];
    const constant = (e.to < 0 ? 0 : gamma * alpha[e.to]) - alpha[e.from] - F(e);
    const slope = (e.to < 0 ? 0 : gamma * beta[e.to]) - beta[e.from];
    if (e.to >= 0 && part[e.to] !== p) return false;
    if (Math.abs(slope) <= 1e-12) {
      if (Math.abs(constant) > tol) return false;
      continue;
    }
    const c = -constant / slope;
    const fixed = cOf[p];
    if (fixed === null) cOf[p] = c;
    else if (Math.abs((fixed - c) * slope) > tol) return false;
  }
  return true;
}
