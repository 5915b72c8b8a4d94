"""The environment file's spaces as Gymnasium spaces, exactly: ``Discrete(n, start)``, and
``Box`` as float32 with the file's bounds (infinite ones included)."""

from __future__ import annotations

from typing import Any

import numpy as np
from gymnasium import spaces


def _bound(x: float | str) -> float:
    # JSON has no infinities: the runner sends them as the strings "Infinity" / "-Infinity".
    return float(x.replace("Infinity", "inf")) if isinstance(x, str) else float(x)


def space_from(description: dict[str, Any]) -> spaces.Space:
    if description["kind"] == "discrete":
        return spaces.Discrete(int(description["n"]), start=int(description["start"]))
    low = np.array([_bound(x) for x in description["low"]], dtype=np.float32)
    high = np.array([_bound(x) for x in description["high"]], dtype=np.float32)
    return spaces.Box(low=low, high=high, dtype=np.float32)


def action_values(space: spaces.Space, action: Any, count: int) -> np.ndarray:
    """``count`` actions as the float64 rows the wire carries, checked against the space's shape
    (and, for a Discrete space, its range: the file's step() would otherwise index out of it)."""
    if isinstance(space, spaces.Discrete):
        values = np.asarray(action)
        shapes = [(count,), ()] if count == 1 else [(count,)]
        if values.shape not in shapes:
            raise ValueError(f"expected {count} Discrete action(s), got an array of shape {values.shape}")
        if not np.issubdtype(values.dtype, np.integer):
            as_int = values.astype(np.int64)
            if not np.array_equal(as_int, values):
                raise ValueError(f"Discrete actions must be whole numbers, got {action!r}")
            values = as_int
        low, high = int(space.start), int(space.start + space.n)
        if np.any(values < low) or np.any(values >= high):
            raise ValueError(f"action {action!r} is outside {space}")
        return values.astype(np.float64).reshape(count)
    dim = int(np.prod(space.shape))
    values = np.asarray(action, dtype=np.float64)
    if values.size != count * dim:
        raise ValueError(f"expected {count} action(s) of {dim} numbers for {space}, got an array of shape {values.shape}")
    return values.reshape(count * dim)
