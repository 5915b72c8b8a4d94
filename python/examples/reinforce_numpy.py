"""REINFORCE on an RL Playground environment file, in numpy, through the Gymnasium vector API
only (CleanRL's one-file style): what any Gymnasium-speaking trainer does with
``rl_playground.make_vec``. Linear softmax policy, Adam, return-to-go with a per-time-step
mean baseline.

    <venv>/bin/python python/examples/reinforce_numpy.py [examples/cartpole.rl.ts] [--episodes 600]

The loop follows Gymnasium 1.x's next-step autoreset: after a copy's episode ends, its next
``step`` is a reset (its action ignored, reward 0), which is not part of any episode.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

import rl_playground

CARTPOLE = Path(__file__).resolve().parents[2] / "examples" / "cartpole.rl.ts"


@dataclass
class Settings:
    num_envs: int = 16
    episodes: int = 600
    episodes_per_update: int = 16
    learning_rate: float = 0.05
    gamma: float = 0.99
    seed: int = 0


@dataclass
class Result:
    returns: list[float] = field(default_factory=list)
    env_steps: int = 0
    seconds: float = 0.0
    reward_threshold: float | None = None

    def mean_return(self, last: int = 100) -> float:
        return float(np.mean(self.returns[-last:])) if self.returns else float("nan")


class Adam:
    def __init__(self, shape: tuple[int, ...], lr: float, b1: float = 0.9, b2: float = 0.999, eps: float = 1e-8):
        self.m, self.v, self.t = np.zeros(shape), np.zeros(shape), 0
        self.lr, self.b1, self.b2, self.eps = lr, b1, b2, eps

    def ascent(self, theta: np.ndarray, grad: np.ndarray) -> None:
        self.t += 1
        self.m = self.b1 * self.m + (1 - self.b1) * grad
        self.v = self.b2 * self.v + (1 - self.b2) * grad * grad
        m_hat, v_hat = self.m / (1 - self.b1**self.t), self.v / (1 - self.b2**self.t)
        theta += self.lr * m_hat / (np.sqrt(v_hat) + self.eps)


def features(obs: np.ndarray) -> np.ndarray:
    """The observation and a constant 1 (the bias), one row per copy."""
    return np.concatenate([obs.astype(np.float64), np.ones((obs.shape[0], 1))], axis=1)


def train(path: str | Path = CARTPOLE, settings: Settings = Settings(), stop_at: float | None = None) -> Result:
    envs = rl_playground.make_vec(path, settings.num_envs)
    n, k = settings.num_envs, envs.single_action_space.n
    rng = np.random.default_rng(settings.seed)
    obs, _ = envs.reset(seed=settings.seed)
    theta = np.zeros((obs.shape[1] + 1, k))  # starts uniform, like the engine's zeroed last layer
    adam = Adam(theta.shape, settings.learning_rate)
    result = Result(reward_threshold=envs.reward_threshold)
    # Each copy's running episode: per step ∇θ log π(a|s) and the reward that followed.
    running: list[tuple[list[np.ndarray], list[float]]] = [([], []) for _ in range(n)]
    finished: list[tuple[list[np.ndarray], list[float]]] = []
    resetting = np.zeros(n, dtype=bool)
    start = time.perf_counter()
    try:
        while len(result.returns) < settings.episodes:
            x = features(obs)
            logits = x @ theta
            p = np.exp(logits - logits.max(axis=1, keepdims=True))
            p /= p.sum(axis=1, keepdims=True)
            actions = (rng.random((n, 1)) > np.cumsum(p, axis=1)).sum(axis=1).clip(0, k - 1)
            obs, rewards, terminated, truncated, _ = envs.step(actions + envs.single_action_space.start)
            result.env_steps += n
            for i in np.flatnonzero(~resetting):
                # ∇θ log softmax(xθ)_a = x ⊗ (onehot(a) − p)
                onehot = np.zeros(k)
                onehot[actions[i]] = 1.0
                running[i][0].append(np.outer(x[i], onehot - p[i]))
                running[i][1].append(float(rewards[i]))
                if terminated[i] or truncated[i]:
                    finished.append(running[i])
                    result.returns.append(sum(running[i][1]))
                    running[i] = ([], [])
            resetting = terminated | truncated
            if len(finished) >= settings.episodes_per_update:
                adam.ascent(theta, policy_gradient(finished, settings.gamma))
                finished = []
                if stop_at is not None and len(result.returns) >= 100 and result.mean_return() >= stop_at:
                    break
    finally:
        envs.close()
    result.seconds = time.perf_counter() - start
    return result


def policy_gradient(episodes: list[tuple[list[np.ndarray], list[float]]], gamma: float) -> np.ndarray:
    """ĝ = (1/N) Σ_i Σ_t ∇θ log π(a_t|s_t) (G_t − b_t), with b_t the mean G_t of the episodes still running at t."""
    returns = []
    for _, rewards in episodes:
        g, out = 0.0, np.zeros(len(rewards))
        for t in range(len(rewards) - 1, -1, -1):
            g = rewards[t] + gamma * g
            out[t] = g
        returns.append(out)
    longest = max(len(r) for r in returns)
    sums, counts = np.zeros(longest), np.zeros(longest)
    for r in returns:
        sums[: len(r)] += r
        counts[: len(r)] += 1
    baseline = sums / np.maximum(counts, 1)
    grad = np.zeros_like(episodes[0][0][0])
    for (grads, _), r in zip(episodes, returns):
        weights = r - baseline[: len(r)]
        grad += np.tensordot(weights, np.stack(grads), axes=1)
    return grad / len(episodes)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", default=str(CARTPOLE))
    parser.add_argument("--episodes", type=int, default=Settings.episodes)
    parser.add_argument("--seed", type=int, default=Settings.seed)
    args = parser.parse_args()
    result = train(args.file, Settings(episodes=args.episodes, seed=args.seed))
    print(
        f"{len(result.returns)} episodes, {result.env_steps} env steps in {result.seconds:.1f} s; "
        f"mean return of the last 100: {result.mean_return():.1f} (reward threshold {result.reward_threshold})"
    )


if __name__ == "__main__":
    main()
