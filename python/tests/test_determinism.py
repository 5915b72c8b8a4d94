"""Seeds mean the same on every run and in every process: a seeded reset replays the same
episode, an unseeded one continues the copy's stream, and two processes agree."""

import numpy as np

import rl_playground

from paths import CARTPOLE, GRIDWORLD


def trajectory(env, seed, steps, action_seed):
    rng = np.random.default_rng(action_seed)
    out = [env.reset(seed=seed)]
    for _ in range(steps):
        obs, reward, terminated, truncated, info = env.step(int(rng.integers(0, 2)))
        out.append((obs, reward, terminated, truncated, info))
        if terminated or truncated:
            out.append(env.reset())
    return out


def same(a, b):
    assert len(a) == len(b)
    for x, y in zip(a, b):
        for u, v in zip(x, y):
            if isinstance(u, np.ndarray):
                np.testing.assert_array_equal(u, v)
            else:
                assert u == v


def test_two_processes_replay_the_same_seeded_trajectory_across_unseeded_resets():
    first, second = rl_playground.make(CARTPOLE), rl_playground.make(CARTPOLE)
    try:
        a = trajectory(first, seed=9, steps=300, action_seed=1)
        b = trajectory(second, seed=9, steps=300, action_seed=1)
        # Several episodes, so unseeded resets (continuing the seeded stream) were compared too.
        assert sum(1 for step in a if len(step) == 2) >= 4
        same(a, b)
        # A different seed gives a different start.
        assert not np.array_equal(first.reset(seed=10)[0], a[0][0])
    finally:
        first.close()
        second.close()


def test_an_unseeded_reset_continues_the_stream_instead_of_restarting_it():
    env = rl_playground.make(CARTPOLE)
    try:
        seeded, _ = env.reset(seed=3)
        following, _ = env.reset()
        assert not np.array_equal(seeded, following)
        np.testing.assert_array_equal(env.reset(seed=3)[0], seeded)
        np.testing.assert_array_equal(env.reset()[0], following)
    finally:
        env.close()


def test_vector_copies_are_deterministic_with_infos():
    runs = []
    for _ in range(2):
        envs = rl_playground.make_vec(GRIDWORLD, 4)
        rng = np.random.default_rng(0)
        try:
            record = [envs.reset(seed=100)[0]]
            for _ in range(120):
                obs, reward, terminated, truncated, info = envs.step(rng.integers(0, 4, 4))
                record += [obs, reward, terminated, truncated, info["reward_terms"]["progress"]]
        finally:
            envs.close()
        runs.append(record)
    for x, y in zip(*runs):
        np.testing.assert_array_equal(x, y)
