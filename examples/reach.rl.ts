/**
 * Continuous control: steer a point in the plane to the origin. The action is a
 * velocity in [−1, 1]² (a diagonal Gaussian policy); each step costs the distance
 * still to go, and reaching within 0.1 of the origin ends the episode.
 */
import { Box, Environment, type Scene } from "rl-playground";

const DT = 0.1;

export default class Reach extends Environment<number[], number[]> {
  observationSpace = new Box([-2, -2], [2, 2]);
  actionSpace = new Box([-1, -1], [1, 1]);
  maxEpisodeSteps = 100;
  rewardThreshold = -5;

  private position = [0, 0];

  reset(seed?: number): [number[], Record<string, unknown>] {
    super.reset(seed);
    const angle = 2 * Math.PI * this.rng();
    this.position = [Math.cos(angle), Math.sin(angle)];
    return [[...this.position], {}];
  }

  step(action: number[]): [number[], number, boolean, boolean, Record<string, unknown>] {
    const [x, y] = this.position;
    this.position = [Math.max(-2, Math.min(2, x + DT * action[0])), Math.max(-2, Math.min(2, y + DT * action[1]))];
    const distance = Math.hypot(this.position[0], this.position[1]);
    return [[...this.position], -distance, distance < 0.1, false, {}];
  }

  /** The arena, the target (the goal radius around the origin) and the point, with a line for the distance left. */
  render(): Scene {
    const [x, y] = this.position;
    return {
      viewBox: [-2.1, -2.1, 4.2, 4.2],
      shapes: [
        { type: "rect", x: -2, y: -2, width: 4, height: 4, stroke: "muted" },
        { type: "circle", cx: 0, cy: 0, r: 0.1, fill: "good" },
        { type: "line", x1: x, y1: y, x2: 0, y2: 0, stroke: "muted", width: 0.015 },
        { type: "circle", cx: x, cy: y, r: 0.07, fill: "accent" },
      ],
    };
  }
}

export const training = { policy: { hidden: [16] } };
