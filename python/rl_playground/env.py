"""One environment file as a ``gymnasium.Env``."""

from __future__ import annotations

import os
from typing import Any

import gymnasium as gym
import numpy as np

from ._bridge import Bridge
from ._spaces import action_values, space_from

#: Gymnasium's ``render_fps`` metadata: a Scene carries no clock, so this is a playback rate to suggest.
RENDER_FPS = 30


class PlaygroundEnv(gym.Env):
    """An ``*.rl.ts`` environment, run by the engine's isolated Node runner.

    ``render_mode="scene"`` makes ``render()`` return the file's Scene (a dict: ``viewBox`` and
    ``shapes``). ``call_timeout_ms`` and ``memory_limit_mb`` are the runner's limits (defaults:
    the editor's, 2000 ms of CPU time per call and a 1024 MB heap). The truncation at the
    file's ``maxEpisodeSteps`` is part of the environment, as in training.
    """

    #: What Gymnasium reads before an instance exists (gymnasium.make checks render_mode against
    #: it): "scene" is the one mode there is. An instance's metadata says what its file declares.
    metadata = {"render_modes": ["scene"], "render_fps": RENDER_FPS}

    def __init__(
        self,
        path: str | os.PathLike[str],
        render_mode: str | None = None,
        *,
        call_timeout_ms: int | None = None,
        memory_limit_mb: int | None = None,
    ):
        self._bridge = Bridge(path, 1, call_timeout_ms=call_timeout_ms, memory_limit_mb=memory_limit_mb)
        hello = self._bridge.hello
        self.path = self._bridge.path
        self.observation_space = space_from(hello.observation_space)
        self.action_space = space_from(hello.action_space)
        self.metadata = {"render_modes": hello.render_modes, "render_fps": RENDER_FPS}
        if render_mode is not None and render_mode not in hello.render_modes:
            self._bridge.close()
            raise ValueError(f"render_mode {render_mode!r} is not one of {hello.render_modes} declared by {self.path}")
        self.render_mode = render_mode
        self.max_episode_steps = hello.max_episode_steps
        self.reward_threshold = hello.reward_threshold
        self._one = np.ones(1, dtype=bool)
        self._step_only = np.zeros(1, dtype=np.uint8)

    @property
    def bridge_pid(self) -> int:
        """The Node bridge process (its child is the runner process that runs the file)."""
        return self._bridge.pid

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None) -> tuple[Any, dict[str, Any]]:
        # Seeds self.np_random, as Gymnasium expects; the file's own generator gets the same seed.
        super().reset(seed=seed)
        batch = self._bridge.reset(self._one, [seed], options)
        return self._observation(batch.observations), batch.infos[0]

    def step(self, action: Any) -> tuple[Any, float, bool, bool, dict[str, Any]]:
        batch = self._bridge.step(action_values(self.action_space, action, 1), self._step_only)
        return (
            self._observation(batch.observations),
            float(batch.rewards[0]),
            bool(batch.terminated[0]),
            bool(batch.truncated[0]),
            batch.infos[0],
        )

    def render(self) -> dict[str, Any] | None:
        if self.render_mode is None:
            gym.logger.warn(
                "render() was called without a render_mode: pass render_mode='scene' to make() to get the Scene."
            )
            return None
        return self._bridge.render(0)

    def close(self) -> None:
        self._bridge.close()
        super().close()

    def _observation(self, observations: np.ndarray) -> Any:
        return observations[0] if observations.ndim == 2 else np.int64(observations[0])
