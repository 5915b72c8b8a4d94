"""N copies of one environment file as a ``gymnasium.vector.VectorEnv``, served by one Node
runner: each ``reset``/``step`` is one round trip for all copies."""

from __future__ import annotations

import os
from typing import Any

import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from ._bridge import Bridge
from ._spaces import action_values, space_from
from .env import RENDER_FPS


class PlaygroundVectorEnv(VectorEnv):
    """Behaves as ``SyncVectorEnv`` of ``PlaygroundEnv`` copies: reset with ``seed=s`` seeds
    copy i with ``s + i``; ``options["reset_mask"]`` resets some copies; the autoreset mode
    defaults to Gymnasium's ``NEXT_STEP`` (a copy whose episode ended is reset by the next
    ``step``, which ignores its action and returns its first observation with reward 0),
    and ``SAME_STEP`` and ``DISABLED`` are there too."""

    #: What Gymnasium reads before an instance exists (gymnasium.make checks render_mode against
    #: it): "scene" is the one mode there is. An instance's metadata says what its file declares.
    metadata = {"render_modes": ["scene"], "render_fps": RENDER_FPS}

    def __init__(
        self,
        path: str | os.PathLike[str],
        num_envs: int,
        *,
        render_mode: str | None = None,
        autoreset_mode: str | AutoresetMode = AutoresetMode.NEXT_STEP,
        call_timeout_ms: int | None = None,
        memory_limit_mb: int | None = None,
    ):
        self._bridge = Bridge(path, num_envs, call_timeout_ms=call_timeout_ms, memory_limit_mb=memory_limit_mb)
        hello = self._bridge.hello
        self.path = self._bridge.path
        self.num_envs = self._bridge.num_envs
        self.single_observation_space = space_from(hello.observation_space)
        self.single_action_space = space_from(hello.action_space)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.autoreset_mode = autoreset_mode if isinstance(autoreset_mode, AutoresetMode) else AutoresetMode(autoreset_mode)
        self.metadata = {"render_modes": hello.render_modes, "render_fps": RENDER_FPS, "autoreset_mode": self.autoreset_mode}
        if render_mode is not None and render_mode not in hello.render_modes:
            self._bridge.close()
            raise ValueError(f"render_mode {render_mode!r} is not one of {hello.render_modes} declared by {self.path}")
        self.render_mode = render_mode
        self.max_episode_steps = hello.max_episode_steps
        self.reward_threshold = hello.reward_threshold
        self._autoreset = np.zeros(self.num_envs, dtype=bool)
        self._all = np.ones(self.num_envs, dtype=bool)
        self._no_seeds: list[int | None] = [None] * self.num_envs

    @property
    def bridge_pid(self) -> int:
        return self._bridge.pid

    def reset(
        self, *, seed: int | list[int | None] | None = None, options: dict[str, Any] | None = None
    ) -> tuple[np.ndarray, dict[str, Any]]:
        n = self.num_envs
        if isinstance(seed, (int, np.integer)):
            super().reset(seed=int(seed))
            seeds: list[int | None] = [int(seed) + i for i in range(n)]
        else:
            super().reset(seed=None)
            seeds = list(self._no_seeds) if seed is None else list(seed)
        if len(seeds) != n:
            raise ValueError(f"If seeds are passed as a list the length must match num_envs={n} but got length={len(seeds)}.")
        mask = self._all
        if options is not None and "reset_mask" in options:
            # The same checks and the same meaning as SyncVectorEnv's.
            options = dict(options)
            mask = options.pop("reset_mask")
            if not isinstance(mask, np.ndarray):
                raise TypeError(f"`options['reset_mask']` must be a numpy array, got {type(mask)}")
            if mask.shape != (n,):
                raise ValueError(f"`options['reset_mask']` must have shape `({n},)`, got {mask.shape}")
            if mask.dtype != np.bool_:
                raise TypeError(f"`options['reset_mask']` must have `dtype=np.bool_`, got {mask.dtype}")
            if not np.any(mask):
                raise ValueError(f"`options['reset_mask']` must contain a boolean array with at least one True value, got reset_mask={mask}")
        batch = self._bridge.reset(mask, seeds, options)
        self._autoreset[mask] = False
        infos: dict[str, Any] = {}
        for i in np.flatnonzero(mask):
            if batch.infos[i]:
                infos = self._add_info(infos, batch.infos[i], int(i))
        return batch.observations, infos

    def step(self, actions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        values = action_values(self.single_action_space, actions, self.num_envs)
        if self.autoreset_mode == AutoresetMode.NEXT_STEP:
            reset_instead = self._autoreset
        else:
            if self.autoreset_mode == AutoresetMode.DISABLED:
                # As SyncVectorEnv: the caller resets finished copies (reset_mask) before stepping them.
                assert not self._autoreset.any(), f"{self._autoreset=}"
            reset_instead = np.zeros(self.num_envs, dtype=bool)
        batch = self._bridge.step(values, reset_instead)
        observations = batch.observations
        infos: dict[str, Any] = {}
        ended = batch.terminated | batch.truncated
        if self.autoreset_mode == AutoresetMode.SAME_STEP and ended.any():
            # The final step's observation and info go to final_obs/final_info; the copy is reset at once.
            restarted = self._bridge.reset(ended, self._no_seeds, None)
            for i in range(self.num_envs):
                if ended[i]:
                    infos = self._add_info(infos, {"final_obs": observations[i].copy(), "final_info": batch.infos[i]}, i)
                    observations[i] = restarted.observations[i]
                    if restarted.infos[i]:
                        infos = self._add_info(infos, restarted.infos[i], i)
                elif batch.infos[i]:
                    infos = self._add_info(infos, batch.infos[i], i)
        else:
            for i, info in enumerate(batch.infos):
                if info:
                    infos = self._add_info(infos, info, i)
        self._autoreset = ended
        return observations, batch.rewards, batch.terminated, batch.truncated, infos

    def render(self) -> tuple[dict[str, Any] | None, ...] | None:
        if self.render_mode is None:
            return None
        return tuple(self._bridge.render(i) for i in range(self.num_envs))

    def close_extras(self, **kwargs: Any) -> None:
        self._bridge.close()
