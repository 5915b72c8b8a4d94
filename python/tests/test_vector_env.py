"""make_vec against Gymnasium's own SyncVectorEnv of make() copies, step by step: the same
observations, rewards, flags and infos in every autoreset mode, with episodes ending (by
termination and by the truncation at maxEpisodeSteps) along the way."""

import numpy as np
import pytest
from gymnasium.vector import AutoresetMode, SyncVectorEnv

import rl_playground

from paths import CARTPOLE, FIXTURES, GRIDWORLD

N = 3


def assert_infos_equal(ours, theirs):
    assert ours.keys() == theirs.keys()
    for key in ours:
        if isinstance(ours[key], dict):
            assert_infos_equal(ours[key], theirs[key])
        elif ours[key].dtype == object:
            for a, b in zip(ours[key], theirs[key]):
                assert (a is None and b is None) or np.array_equal(a, b) or a == b
        else:
            np.testing.assert_array_equal(ours[key], theirs[key], err_msg=key)


def run_side_by_side(path, mode, steps, seed):
    ours = rl_playground.make_vec(path, N, autoreset_mode=mode)
    theirs = SyncVectorEnv([lambda: rl_playground.make(path) for _ in range(N)], autoreset_mode=mode)
    rng = np.random.default_rng(seed)
    ended = 0
    try:
        assert ours.metadata["autoreset_mode"] == theirs.metadata["autoreset_mode"] == mode
        assert ours.single_observation_space == theirs.single_observation_space
        assert ours.action_space == theirs.action_space
        a, ai = ours.reset(seed=seed)
        b, bi = theirs.reset(seed=seed)
        np.testing.assert_array_equal(a, b)
        assert_infos_equal(ai, bi)
        for _ in range(steps):
            actions = rng.integers(0, ours.single_action_space.n, N)
            ra = ours.step(actions)
            rb = theirs.step(actions)
            for x, y in zip(ra[:4], rb[:4]):
                np.testing.assert_array_equal(x, y)
                assert x.dtype == y.dtype
            assert_infos_equal(ra[4], rb[4])
            ended += int((ra[2] | ra[3]).sum())
    finally:
        ours.close()
        theirs.close()
    return ended


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP], ids=lambda m: m.value)
def test_autoreset_matches_sync_vector_env_on_cartpole(mode):
    ended = run_side_by_side(CARTPOLE, mode, steps=120, seed=7)
    # Random actions end a CartPole episode within a few dozen steps: several ends were compared.
    assert ended >= 6


def test_autoreset_matches_sync_vector_env_with_infos_and_truncation():
    # The gridworld's reward export fills info (reward_terms, env_reward), and a random walk
    # is often cut at its maxEpisodeSteps of 50.
    ended = run_side_by_side(GRIDWORLD, AutoresetMode.NEXT_STEP, steps=160, seed=3)
    assert ended >= 3


def test_disabled_autoreset_matches_with_reset_masks():
    assert run_side_by_side_disabled(CARTPOLE, steps=100, seed=5) >= 3


def run_side_by_side_disabled(path, steps, seed):
    ours = rl_playground.make_vec(path, N, autoreset_mode=AutoresetMode.DISABLED)
    theirs = SyncVectorEnv([lambda: rl_playground.make(path) for _ in range(N)], autoreset_mode=AutoresetMode.DISABLED)
    rng = np.random.default_rng(seed)
    ended = 0
    try:
        np.testing.assert_array_equal(ours.reset(seed=seed)[0], theirs.reset(seed=seed)[0])
        done = np.zeros(N, dtype=bool)
        for _ in range(steps):
            if done.any():
                a, ai = ours.reset(options={"reset_mask": done.copy()})
                b, bi = theirs.reset(options={"reset_mask": done.copy()})
                np.testing.assert_array_equal(a, b)
                assert_infos_equal(ai, bi)
            actions = rng.integers(0, 2, N)
            ra, rb = ours.step(actions), theirs.step(actions)
            for x, y in zip(ra[:4], rb[:4]):
                np.testing.assert_array_equal(x, y)
            done = ra[2] | ra[3]
            ended += int(done.sum())
        # Stepping a finished copy without resetting it is refused, as SyncVectorEnv refuses it.
        if done.any():
            with pytest.raises(AssertionError):
                ours.step(rng.integers(0, 2, N))
    finally:
        ours.close()
        theirs.close()
    return ended


def test_next_step_autoreset_returns_the_first_observation_with_reward_zero():
    envs = rl_playground.make_vec(FIXTURES / "offset.rl.ts", 2)
    try:
        envs.reset(seed=0, options={"start": 12})
        obs, reward, terminated, truncated, info = envs.step(np.array([1, -1]))
        assert list(obs) == [13, 11] and list(terminated) == [True, False]
        obs, reward, terminated, truncated, info = envs.step(np.array([1, 1]))
        # Copy 0 was reset (its action ignored): reward 0, flags down, the reset's info (no options now).
        assert reward[0] == 0 and not terminated[0] and not truncated[0]
        assert info["_options"][0] and info["options"][0] is None
        assert info["_action"].tolist() == [False, True] and info["action"][1] == 1
        assert obs[1] == 12
    finally:
        envs.close()


def test_reset_seeds_copy_i_with_seed_plus_i_and_takes_lists():
    envs = rl_playground.make_vec(CARTPOLE, 3)
    single = rl_playground.make(CARTPOLE)
    try:
        batch, _ = envs.reset(seed=40)
        for i in range(3):
            np.testing.assert_array_equal(batch[i], single.reset(seed=40 + i)[0])
        listed, _ = envs.reset(seed=[42, 41, 40])
        np.testing.assert_array_equal(listed, batch[::-1])
        with pytest.raises(ValueError, match="num_envs=3"):
            envs.reset(seed=[1, 2])
    finally:
        envs.close()
        single.close()


def test_actions_of_the_wrong_shape_are_refused_before_they_reach_the_file():
    envs = rl_playground.make_vec(CARTPOLE, 4)
    try:
        envs.reset(seed=0)
        with pytest.raises(ValueError, match="4 Discrete"):
            envs.step(np.zeros(3, dtype=np.int64))
        with pytest.raises(ValueError, match="outside"):
            envs.step(np.array([0, 1, 2, 0]))
        # The environment is still usable after a refused action.
        obs, *_ = envs.step(np.array([0, 1, 1, 0]))
        assert obs.shape == (4, 4)
    finally:
        envs.close()
