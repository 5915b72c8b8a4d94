"""Every example passes Gymnasium's own environment checker, made directly and through the
registry (which gives it a spec, so the checker also tries the render modes); spaces map
exactly."""

import warnings

import gymnasium
import numpy as np
import pytest
from gymnasium import spaces
from gymnasium.utils.env_checker import check_env
from gymnasium.utils.env_match import check_environments_match

import rl_playground

from paths import CARTPOLE, EXAMPLES, FIXTURES


def test_the_examples_are_found():
    assert {p.name for p in EXAMPLES} >= {"bandit.rl.ts", "cartpole.rl.ts", "gridworld.rl.ts", "reach.rl.ts"}


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_check_env_passes_on_every_example(path):
    env = rl_playground.make(path)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            check_env(env)
        # The checker's warnings are findings about the file, not failures; they are listed for the reader.
        for w in caught:
            print(f"{path.name}: {w.message}")
    finally:
        env.close()


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_check_env_passes_through_the_registry(path):
    env_id = f"PlaygroundCheck{path.name.split('.')[0].title()}-v0"
    rl_playground.register(env_id, path)
    env = gymnasium.make(env_id)
    try:
        check_env(env.unwrapped)
        env.reset(seed=5)
        env.step(env.action_space.sample())
    finally:
        env.close()


def test_spaces_map_exactly():
    env = rl_playground.make(CARTPOLE)
    try:
        assert env.action_space == spaces.Discrete(2)
        box = env.observation_space
        assert isinstance(box, spaces.Box) and box.dtype == np.float32 and box.shape == (4,)
        limit = np.float32(12 * 2 * np.pi / 360 * 2)
        np.testing.assert_array_equal(box.low, np.array([-4.8, -np.inf, -limit, -np.inf], dtype=np.float32))
        np.testing.assert_array_equal(box.high, np.array([4.8, np.inf, limit, np.inf], dtype=np.float32))
        assert env.max_episode_steps == 500 and env.reward_threshold == 475
    finally:
        env.close()


def test_discrete_spaces_keep_their_start():
    env = rl_playground.make(FIXTURES / "offset.rl.ts")
    try:
        assert env.observation_space == spaces.Discrete(4, start=10)
        assert env.action_space == spaces.Discrete(3, start=-1)
        obs, _ = env.reset(seed=0)
        assert isinstance(obs, np.int64) and 10 <= obs <= 13
        obs, reward, *_ = env.step(-1)
        assert reward == -1.0 and 10 <= obs <= 13
        with pytest.raises(ValueError, match="outside"):
            env.step(2)
        check_env(env)
    finally:
        env.close()


def test_box_actions_reach_the_file():
    reach = EXAMPLES[[p.name for p in EXAMPLES].index("reach.rl.ts")]
    env = rl_playground.make(reach)
    try:
        assert env.action_space == spaces.Box(-1, 1, (2,), np.float32)
        obs, _ = env.reset(seed=3)
        moved, reward, *_ = env.step(np.array([1.0, -1.0], dtype=np.float32))
        # The file moves the point by 0.1 × the action (inside its arena) and pays minus the distance.
        np.testing.assert_allclose(moved, np.clip(obs + 0.1 * np.array([1.0, -1.0]), -2, 2), rtol=1e-6)
        assert reward == pytest.approx(-float(np.hypot(*moved)), rel=1e-6)
    finally:
        env.close()


def test_make_matches_the_registered_environment():
    rl_playground.register("PlaygroundMatchCartPole-v0", CARTPOLE)
    direct = rl_playground.make(CARTPOLE)
    registered = gymnasium.make("PlaygroundMatchCartPole-v0")
    try:
        check_environments_match(direct, registered, num_steps=300, seed=11, skip_obs=False, skip_rew=False)
    finally:
        direct.close()
        registered.close()


def test_make_vec_through_the_registry_uses_one_runner():
    rl_playground.register("PlaygroundVecCartPole-v0", CARTPOLE)
    envs = gymnasium.make_vec("PlaygroundVecCartPole-v0", num_envs=4)
    try:
        assert isinstance(envs, rl_playground.PlaygroundVectorEnv)
        obs, _ = envs.reset(seed=1)
        assert obs.shape == (4, 4) and obs.dtype == np.float32
    finally:
        envs.close()


def test_render_returns_the_scene_and_a_second_close_does_nothing():
    env = rl_playground.make(CARTPOLE, render_mode="scene")
    try:
        env.reset(seed=0)
        scene = env.render()
        assert len(scene["viewBox"]) == 4
        assert {s["type"] for s in scene["shapes"]} >= {"rect", "line", "circle"}
    finally:
        env.close()
    env.close()  # a second close does nothing
    with pytest.raises(rl_playground.BridgeError, match="closed"):
        env.step(0)
    with pytest.raises(ValueError, match="render_mode"):
        rl_playground.make(FIXTURES / "offset.rl.ts", render_mode="rgb_array")
