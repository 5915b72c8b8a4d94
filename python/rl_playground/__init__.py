"""RL Playground environment files (``*.rl.ts``) as Gymnasium environments, and sweeps on Ray.

    import rl_playground
    env = rl_playground.make("examples/cartpole.rl.ts")
    envs = rl_playground.make_vec("examples/cartpole.rl.ts", num_envs=16)
    rl_playground.register("PlaygroundCartPole-v0", "examples/cartpole.rl.ts")  # gymnasium.make / make_vec

The file runs in the engine's isolated Node runner (Node 20 or later on PATH): the same
limits and the same error placement as in the editor; an error in it is raised as
:class:`UserCodeError`, whose message starts with the file, line and column.
"""

from __future__ import annotations

import os
from typing import Any

import gymnasium

from ._bridge import BridgeError, UserCodeError
from .env import PlaygroundEnv
from .vector import PlaygroundVectorEnv

__all__ = [
    "BridgeError",
    "PlaygroundEnv",
    "PlaygroundVectorEnv",
    "UserCodeError",
    "make",
    "make_vec",
    "register",
]


def make(path: str | os.PathLike[str], **kwargs: Any) -> PlaygroundEnv:
    """The environment file as a ``gymnasium.Env`` (kwargs: ``render_mode``, ``call_timeout_ms``, ``memory_limit_mb``)."""
    return PlaygroundEnv(path, **kwargs)


def make_vec(path: str | os.PathLike[str], num_envs: int = 1, **kwargs: Any) -> PlaygroundVectorEnv:
    """``num_envs`` copies as one ``gymnasium.vector.VectorEnv``, served by one Node runner
    (kwargs: ``autoreset_mode``, ``render_mode``, ``call_timeout_ms``, ``memory_limit_mb``)."""
    return PlaygroundVectorEnv(path, num_envs, **kwargs)


def register(id: str, path: str | os.PathLike[str], **kwargs: Any) -> None:
    """Registers the file under ``id`` so that ``gymnasium.make(id)`` and
    ``gymnasium.make_vec(id, n)`` build it (extra kwargs go to every construction)."""
    gymnasium.register(
        id,
        entry_point="rl_playground.env:PlaygroundEnv",
        vector_entry_point="rl_playground.vector:PlaygroundVectorEnv",
        kwargs={"path": os.path.abspath(os.fspath(path)), **kwargs},
    )
