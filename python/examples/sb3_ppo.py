"""PPO from Stable-Baselines3 on an RL Playground environment file (not run in CI: SB3 needs
PyTorch, whose PyPI wheels with their CUDA libraries take 5.4 GB here).

    <venv>/bin/pip install stable-baselines3
    <venv>/bin/python python/examples/sb3_ppo.py [examples/cartpole.rl.ts] [--steps 100000]

SB3 has its own vector API, so each of its copies is an ``rl_playground.make`` environment
(one Node runner each); Gymnasium-native trainers can use ``rl_playground.make_vec`` instead.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from stable_baselines3 import PPO
from stable_baselines3.common.env_util import make_vec_env
from stable_baselines3.common.evaluation import evaluate_policy

import rl_playground

CARTPOLE = Path(__file__).resolve().parents[2] / "examples" / "cartpole.rl.ts"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("file", nargs="?", default=str(CARTPOLE))
    parser.add_argument("--steps", type=int, default=100_000)
    parser.add_argument("--envs", type=int, default=4)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    envs = make_vec_env(lambda: rl_playground.make(args.file), n_envs=args.envs, seed=args.seed)
    model = PPO("MlpPolicy", envs, seed=args.seed, verbose=0)
    model.learn(total_timesteps=args.steps)
    evaluation = rl_playground.make(args.file)
    mean, std = evaluate_policy(model, evaluation, n_eval_episodes=20, deterministic=True)
    print(f"PPO, {args.steps} steps: mean return {mean:.1f} ± {std:.1f} over 20 episodes (reward threshold {evaluation.reward_threshold})")
    evaluation.close()
    envs.close()


if __name__ == "__main__":
    main()
