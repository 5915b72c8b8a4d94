/**
 * A corridor of cells 0..LENGTH−1: the agent starts in the middle and walks left or right;
 * reaching the right end pays 1 and ends the episode. Change `step` (the dynamics) or
 * `reward` (the shaping) and watch the diagnostics; "▶ Train" above the class trains it.
 */
import { Box, Discrete, Environment, type Scene, type TrainingOptions, type Transition } from "rl-playground";

const LENGTH = 7;

export default class __CLASS_NAME__ extends Environment<number[], number> {
  observationSpace = new Box([0], [LENGTH - 1]); // the agent's cell
  actionSpace = new Discrete(2); // 0: left, 1: right
  maxEpisodeSteps = 30;
  rewardThreshold = 0.9; // the shortest walk returns 1 − 3 × 0.01 = 0.97

  private cell = 0;

  reset(seed?: number): [number[], Record<string, unknown>] {
    super.reset(seed);
    this.cell = Math.floor(LENGTH / 2);
    return [[this.cell], {}];
  }

  step(action: number): [number[], number, boolean, boolean, Record<string, unknown>] {
    this.cell = Math.min(LENGTH - 1, Math.max(0, this.cell + (action === 1 ? 1 : -1)));
    const atGoal = this.cell === LENGTH - 1;
    return [[this.cell], atGoal ? 1 : 0, atGoal, false, {}];
  }

  /** Optional: what the dashboard draws when it plays an episode back. */
  render(): Scene {
    return {
      viewBox: [0, 0, LENGTH, 1],
      shapes: [
        { type: "rect", x: LENGTH - 1, y: 0, width: 1, height: 1, fill: "good" },
        { type: "circle", cx: this.cell + 0.5, cy: 0.5, r: 0.3, fill: "accent" },
      ],
    };
  }
}

/** Optional: reward shaping. Named terms are summed into the reward and reported apart. */
export function reward(t: Transition<number[], number>): Record<string, number> {
  return { goal: t.envReward, stepCost: -0.01 };
}

/** Optional: training settings (every field has a default). */
export const training: TrainingOptions = { episodesPerUpdate: 16, learningRate: 0.05, policy: { hidden: [] } };
