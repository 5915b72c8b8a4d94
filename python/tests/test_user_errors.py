"""A failure in the environment file is a Python exception that names the .rl.ts file, line
and column, as the editor's diagnostic would; the environment is closed after it."""

import numpy as np
import pytest

import rl_playground
from rl_playground import UserCodeError

from paths import FIXTURES


def test_a_throw_in_step_names_the_throwing_line():
    path = FIXTURES / "throws.rl.ts"
    env = rl_playground.make(path)
    env.reset(seed=0)
    env.step(0)
    env.step(1)
    with pytest.raises(UserCodeError) as raised:
        env.step(1)
    error = raised.value
    assert error.code == "user-code-threw" and error.call == "step"
    assert (error.file, error.line) == (str(path), 20)
    # The column where the Error was made (its stack's frame), 1-based as editors show it.
    assert error.column == path.read_text().splitlines()[19].index("new Error") + 1
    assert str(error).startswith(f"{path}:20:{error.column}: user-code-threw: step() threw Error: boom at step 3 after action 1")
    # The runner's job ended with the failure: the environment is closed, and says why again.
    with pytest.raises(UserCodeError, match="boom"):
        env.step(0)
    env.close()


def test_a_throw_in_one_copy_of_a_vector_env_is_raised_by_its_step():
    envs = rl_playground.make_vec(FIXTURES / "throws.rl.ts", 4)
    envs.reset(seed=0)
    envs.step(np.zeros(4, dtype=np.int64))
    envs.step(np.zeros(4, dtype=np.int64))
    with pytest.raises(UserCodeError, match=r"throws\.rl\.ts:20:\d+: user-code-threw"):
        envs.step(np.zeros(4, dtype=np.int64))
    envs.close()


def test_an_endless_step_is_stopped_by_the_watchdog_and_placed_on_its_loop():
    path = FIXTURES / "loops.rl.ts"
    env = rl_playground.make(path, call_timeout_ms=300)
    env.reset(seed=0)
    with pytest.raises(UserCodeError) as raised:
        env.step(0)
    error = raised.value
    assert error.code == "user-code-timeout" and error.call == "step"
    # The runner's watchdog pauses the looping thread and places the time-out on the loop's line.
    assert error.file == str(path) and error.line == 15
    assert "did not return within 300 ms" in str(error)


def test_an_observation_outside_the_space_is_refused_with_the_trainers_check():
    env = rl_playground.make(FIXTURES / "outOfSpace.rl.ts")
    env.reset(seed=0)
    env.step(1)
    with pytest.raises(UserCodeError, match=r"observation-out-of-space: step\(\) returned observation\[0\] = 5, outside"):
        env.step(1)


def test_a_file_that_does_not_compile_fails_make_with_its_place(tmp_path):
    path = tmp_path / "broken.rl.ts"
    path.write_text(
        'import { Box, Discrete, Environment } from "rl-playground";\n'
        "export default class Broken extends Environment<number[], number> {\n"
        "  observationSpace = new Box([-1], [1]);\n"
        "  actionSpace = new Discrete(2) )\n"
        "}\n"
    )
    with pytest.raises(UserCodeError) as raised:
        rl_playground.make(path)
    assert raised.value.code == "transpile-error"
    assert (raised.value.file, raised.value.line) == (str(path), 4)


def test_a_file_without_an_environment_fails_make(tmp_path):
    path = tmp_path / "empty.rl.ts"
    path.write_text("export const nothing = 1;\n")
    with pytest.raises(UserCodeError, match="missing-environment"):
        rl_playground.make_vec(path, 2)
