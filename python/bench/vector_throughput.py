"""Env steps per second with random actions: 16 copies of examples/cartpole.rl.ts through
``rl_playground.make_vec`` beside Gymnasium's own CartPole-v1 in ``SyncVectorEnv(16)``, in
the same run, measured in alternating rounds so that a change in the machine's load hits both.

    <venv>/bin/python python/bench/vector_throughput.py [--envs 16] [--seconds 3] [--rounds 3]

A benchmark, not a test: it prints a table and asserts nothing.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

import rl_playground

CARTPOLE = Path(__file__).resolve().parents[2] / "examples" / "cartpole.rl.ts"


def steps_per_second(envs: gym.vector.VectorEnv, seconds: float, rng: np.random.Generator) -> float:
    """Random actions for about ``seconds``; the actions are drawn ahead, outside the timing."""
    n = envs.num_envs
    actions = rng.integers(0, 2, size=(4096, n))
    envs.reset(seed=0)
    vector_steps = 0
    start = time.perf_counter()
    while True:
        for row in actions:
            envs.step(row)
        vector_steps += len(actions)
        elapsed = time.perf_counter() - start
        if elapsed >= seconds:
            return vector_steps * n / elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--envs", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=3.0, help="per measurement")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    rng = np.random.default_rng(0)

    bridge = rl_playground.make_vec(CARTPOLE, args.envs)
    sync = gym.vector.SyncVectorEnv([lambda: gym.make("CartPole-v1") for _ in range(args.envs)])
    results: dict[str, list[float]] = {"bridge": [], "sync": []}
    try:
        # One short warm-up each (the runner's JIT, numpy's first calls), not counted.
        steps_per_second(bridge, 0.5, rng)
        steps_per_second(sync, 0.5, rng)
        for _ in range(args.rounds):
            results["bridge"].append(steps_per_second(bridge, args.seconds, rng))
            results["sync"].append(steps_per_second(sync, args.seconds, rng))
    finally:
        bridge.close()
        sync.close()

    rows = [
        (f"rl_playground.make_vec(cartpole.rl.ts, {args.envs})", results["bridge"]),
        (f"SyncVectorEnv({args.envs} x gymnasium CartPole-v1)", results["sync"]),
    ]
    width = max(len(name) for name, _ in rows)
    print(f"env steps/s, random actions, {args.rounds} rounds of {args.seconds:g} s each")
    print(f"{'environment':<{width}}  {'median':>10}  {'min':>10}  {'max':>10}")
    for name, values in rows:
        print(f"{name:<{width}}  {statistics.median(values):>10,.0f}  {min(values):>10,.0f}  {max(values):>10,.0f}")
    ratio = statistics.median(results["bridge"]) / statistics.median(results["sync"])
    print(f"bridge / SyncVectorEnv: {ratio:.2f}x")


if __name__ == "__main__":
    main()
