/**
 * A 5×5 grid: start in one corner, reach the goal in the opposite one. The environment
 * pays 1 at the goal and nothing else (a sparse reward). The `reward` export shapes it
 * with named terms, reported apart: progress toward the goal and a small cost per step.
 */
import { Discrete, Environment, type Scene, type Shape, type Transition } from "rl-playground";

const SIZE = 5;
const GOAL = SIZE * SIZE - 1;
const MOVES = [
  [0, -1], // up
  [1, 0], // right
  [0, 1], // down
  [-1, 0], // left
];

const distanceToGoal = (cell: number) => SIZE - 1 - (cell % SIZE) + (SIZE - 1 - Math.floor(cell / SIZE));

export default class GridWorld extends Environment<number, number> {
  observationSpace = new Discrete(SIZE * SIZE);
  actionSpace = new Discrete(MOVES.length);
  maxEpisodeSteps = 50;
  rewardThreshold = 1.7; // the shortest path (8 moves) returns 1 + 0.8 − 0.08 = 1.72

  private cell = 0;

  reset(seed?: number): [number, Record<string, unknown>] {
    super.reset(seed);
    this.cell = 0;
    return [this.cell, {}];
  }

  step(action: number): [number, number, boolean, boolean, Record<string, unknown>] {
    const [dx, dy] = MOVES[action];
    const x = Math.min(SIZE - 1, Math.max(0, (this.cell % SIZE) + dx));
    const y = Math.min(SIZE - 1, Math.max(0, Math.floor(this.cell / SIZE) + dy));
    this.cell = y * SIZE + x;
    const atGoal = this.cell === GOAL;
    return [this.cell, atGoal ? 1 : 0, atGoal, false, {}];
  }

  /** The cells (row 0 on top, as `MOVES` reads "up"), the walls around them, the goal and the agent. */
  render(): Scene {
    const centre = (cell: number): [number, number] => [(cell % SIZE) + 0.5, SIZE - Math.floor(cell / SIZE) - 0.5];
    const cells: Shape[] = Array.from({ length: SIZE * SIZE }, (_, c) => ({
      type: "rect",
      x: c % SIZE,
      y: SIZE - 1 - Math.floor(c / SIZE),
      width: 1,
      height: 1,
      stroke: "muted",
    }));
    const [gx, gy] = centre(GOAL);
    const [ax, ay] = centre(this.cell);
    const wall = (x1: number, y1: number, x2: number, y2: number): Shape => ({
      type: "line",
      x1,
      y1,
      x2,
      y2,
      stroke: "foreground",
      width: 0.08,
    });
    return {
      viewBox: [-0.2, -0.2, SIZE + 0.4, SIZE + 0.4],
      shapes: [
        ...cells,
        { type: "rect", x: gx - 0.5, y: gy - 0.5, width: 1, height: 1, fill: "good" },
        wall(0, 0, SIZE, 0),
        wall(SIZE, 0, SIZE, SIZE),
        wall(SIZE, SIZE, 0, SIZE),
        wall(0, SIZE, 0, 0),
        { type: "circle", cx: ax, cy: ay, r: 0.3, fill: "accent" },
      ],
    };
  }
}

export function reward(t: Transition<number, number>): Record<string, number> {
  return {
    goal: t.envReward,
    progress: 0.1 * (distanceToGoal(t.observation) - distanceToGoal(t.nextObservation)),
    stepCost: -0.01,
  };
}
