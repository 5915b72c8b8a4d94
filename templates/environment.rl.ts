/**
 * A corridor of cells 0..LENGTH−1: the agent starts in the middle and walks left or right;
 * reaching the right end pays 1 and ends the episode; every step costs a little. Change `step`
 * (the dynamics) or `reward` (the shaping) and watch the diagnostics; "▶ Train" above the class
 * trains it, and the dashboard plays an episode back with `render()`.
 */
import { Box, Discrete, Environment, type Scene, type TrainingOptions, type Transition } from "rl-playground";

const LENGTH = 7;

export default class __CLASS_NAME__ extends Environment<number[], number> {
  observationSpace = new Box([0], [LENGTH - 1]); // the agent's cell
  actionSpace = new Discrete(2); // 0: left, 1: right
  maxEpisodeSteps = 30;
  rewardThreshold = 0.75; // the shortest walk returns 1 − 3 × 0.05 = 0.85

  private cell = 0;
  private steps = 0;
  /** The cells visited this episode, in order (drawn as a trail). */
  private trail: number[] = [];

  reset(seed?: number): [number[], Record<string, unknown>] {
    super.reset(seed);
    this.cell = Math.floor(LENGTH / 2);
    this.steps = 0;
    this.trail = [this.cell];
    return [[this.cell], {}];
  }

  step(action: number): [number[], number, boolean, boolean, Record<string, unknown>] {
    this.cell = Math.min(LENGTH - 1, Math.max(0, this.cell + (action === 1 ? 1 : -1)));
    this.steps++;
    this.trail.push(this.cell);
    const atGoal = this.cell === LENGTH - 1;
    return [[this.cell], atGoal ? 1 : 0, atGoal, false, {}];
  }

  /** Optional: what the dashboard draws when it plays an episode back (world units, y up). */
  render(): Scene {
    const shapes: Scene["shapes"] = [];
    for (let c = 0; c < LENGTH; c++) shapes.push({ type: "rect", x: c, y: 0, width: 1, height: 1, stroke: "muted" });
    shapes.push({ type: "rect", x: LENGTH - 1 + 0.1, y: 0.1, width: 0.8, height: 0.8, fill: "good" });
    // The walk so far, a dot per step, time running down the cells: from the top at the reset to
    // the agent now (so a step back does not hide the steps before it).
    const height = (k: number) => 0.9 - (0.4 * k) / Math.max(1, this.trail.length - 1);
    for (let k = 0; k < this.trail.length; k++) {
      const [x, y] = [this.trail[k] + 0.5, height(k)];
      if (k > 0) shapes.push({ type: "line", x1: this.trail[k - 1] + 0.5, y1: height(k - 1), x2: x, y2: y, stroke: "muted", width: 0.04 });
      shapes.push({ type: "circle", cx: x, cy: y, r: 0.07, fill: "muted" });
    }
    shapes.push({ type: "circle", cx: this.cell + 0.5, cy: 0.5, r: 0.3, fill: "accent" });
    shapes.push({ type: "text", x: 0.1, y: 1.1, text: `step ${this.steps}`, size: 0.25, fill: "foreground" });
    return { viewBox: [0, 0, LENGTH, 1.4], shapes };
  }
}

/** Optional: reward shaping. Named terms are summed into the reward and reported apart. */
export function reward(t: Transition<number[], number>): Record<string, number> {
  return { goal: t.envReward, stepCost: -0.05 };
}

/** Optional: training settings (every field has a default). */
export const training: TrainingOptions = { episodesPerUpdate: 16, learningRate: 0.05, policy: { hidden: [] } };
