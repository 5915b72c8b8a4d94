"""The CI example (python/examples/reinforce_numpy.py) trains CartPole from the environment
file to its reward threshold through the Gymnasium vector API alone."""

import importlib.util
import sys

from paths import CARTPOLE, REPO


def load_example():
    spec = importlib.util.spec_from_file_location("reinforce_numpy", REPO / "python" / "examples" / "reinforce_numpy.py")
    module = importlib.util.module_from_spec(spec)
    # Registered first: dataclasses look their module up while the file runs.
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_reinforce_through_make_vec_solves_cartpole():
    example = load_example()
    result = example.train(CARTPOLE, example.Settings(episodes=4000, seed=0), stop_at=475)
    assert result.reward_threshold == 475
    # Solved as the engine defines it: the mean return of the last 100 episodes reaches the threshold.
    assert result.mean_return(100) >= 475, f"mean return {result.mean_return(100):.1f} after {len(result.returns)} episodes"
    # The policy started uniform: early episodes were short, so this is learning, not luck.
    assert sum(result.returns[:50]) / 50 < 100
