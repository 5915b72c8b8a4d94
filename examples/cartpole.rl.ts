/**
 * CartPole-v1 (Barto, Sutton & Anderson, 1983) with Gymnasium's published dynamics:
 * push a cart left or right to keep a pole upright. +1 per step, the episode ends
 * when the pole leans more than 12° or the cart leaves the track, and is truncated
 * at 500 steps. Solved at a mean return of 475 over 100 episodes.
 */
import { Box, Discrete, Environment, type Scene } from "rl-playground";

const GRAVITY = 9.8;
const MASS_CART = 1.0;
const MASS_POLE = 0.1;
const TOTAL_MASS = MASS_CART + MASS_POLE;
const HALF_LENGTH = 0.5; // half the pole's length
const POLE_MASS_LENGTH = MASS_POLE * HALF_LENGTH;
const FORCE = 10.0;
const TAU = 0.02; // seconds between state updates (Euler integration)
const THETA_LIMIT = (12 * 2 * Math.PI) / 360;
const X_LIMIT = 2.4;

type State = [x: number, xDot: number, theta: number, thetaDot: number];

// Drawing only (render): the cart's size in metres.
const CART_WIDTH = 0.5;
const CART_HEIGHT = 0.3;

export default class CartPole extends Environment<number[], number> {
  observationSpace = new Box([-X_LIMIT * 2, -Infinity, -THETA_LIMIT * 2, -Infinity], [X_LIMIT * 2, Infinity, THETA_LIMIT * 2, Infinity]);
  actionSpace = new Discrete(2);
  maxEpisodeSteps = 500;
  rewardThreshold = 475;

  private state: State = [0, 0, 0, 0];

  reset(seed?: number): [number[], Record<string, unknown>] {
    super.reset(seed);
    this.state = [0, 0, 0, 0].map(() => this.rng() * 0.1 - 0.05) as State;
    return [[...this.state], {}];
  }

  step(action: number): [number[], number, boolean, boolean, Record<string, unknown>] {
    let [x, xDot, theta, thetaDot] = this.state;
    const force = action === 1 ? FORCE : -FORCE;
    const cos = Math.cos(theta);
    const sin = Math.sin(theta);
    const temp = (force + POLE_MASS_LENGTH * thetaDot * thetaDot * sin) / TOTAL_MASS;
    const thetaAcc = (GRAVITY * sin - cos * temp) / (HALF_LENGTH * (4 / 3 - (MASS_POLE * cos * cos) / TOTAL_MASS));
    const xAcc = temp - (POLE_MASS_LENGTH * thetaAcc * cos) / TOTAL_MASS;
    x += TAU * xDot;
    xDot += TAU * xAcc;
    theta += TAU * thetaDot;
    thetaDot += TAU * thetaAcc;
    this.state = [x, xDot, theta, thetaDot];
    const terminated = x < -X_LIMIT || x > X_LIMIT || theta < -THETA_LIMIT || theta > THETA_LIMIT;
    return [[x, xDot, theta, thetaDot], 1, terminated, false, {}];
  }

  /** The track with its limits, the cart at x, and the pole (2 × HALF_LENGTH long) at angle θ from upright. */
  render(): Scene {
    const [x, , theta] = this.state;
    const pivotY = CART_HEIGHT;
    const pole = 2 * HALF_LENGTH;
    return {
      viewBox: [-X_LIMIT - 0.4, -0.3, 2 * X_LIMIT + 0.8, pole + CART_HEIGHT + 0.5],
      shapes: [
        { type: "line", x1: -X_LIMIT - 0.3, y1: -0.08, x2: X_LIMIT + 0.3, y2: -0.08, stroke: "muted", width: 0.03 },
        { type: "line", x1: -X_LIMIT, y1: -0.2, x2: -X_LIMIT, y2: 0.2, stroke: "bad", width: 0.03 },
        { type: "line", x1: X_LIMIT, y1: -0.2, x2: X_LIMIT, y2: 0.2, stroke: "bad", width: 0.03 },
        { type: "rect", x: x - CART_WIDTH / 2, y: 0, width: CART_WIDTH, height: CART_HEIGHT, fill: "accent" },
        {
          type: "line",
          x1: x,
          y1: pivotY,
          x2: x + pole * Math.sin(theta),
          y2: pivotY + pole * Math.cos(theta),
          stroke: "foreground",
          width: 0.07,
        },
        { type: "circle", cx: x, cy: pivotY, r: 0.05, fill: "muted" },
      ],
    };
  }
}
