/**
 * A four-armed bandit: one step, one state, a fixed reward per arm. Small enough that
 * `rl-playground check` computes the exact policy gradient by enumerating the arms and
 * shows it next to the Monte-Carlo estimate.
 */
import { Discrete, Environment } from "rl-playground";

const ARM_REWARDS = [0.2, 0.5, 1.0, 0.1];

export default class Bandit extends Environment<number, number> {
  observationSpace = new Discrete(1); // a single state
  actionSpace = new Discrete(ARM_REWARDS.length);
  maxEpisodeSteps = 1;
  rewardThreshold = 0.95; // nearly always pulls the best arm

  reset(seed?: number): [number, Record<string, unknown>] {
    super.reset(seed);
    return [0, {}];
  }

  step(action: number): [number, number, boolean, boolean, Record<string, unknown>] {
    return [0, ARM_REWARDS[action], true, false, {}];
  }
}

export const training = { policy: { hidden: [] }, learningRate: 0.1 };
