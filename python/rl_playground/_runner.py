"""Where the Node side comes from: the built runner shipped in the wheel, and ``node``."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

BRIDGE = "gym-bridge.js"
#: Node's major version the runner is built for (esbuild target node20).
MIN_NODE_MAJOR = 20


def runner_folder() -> Path:
    """The folder holding ``gym-bridge.js`` and the runner beside it.

    ``RL_PLAYGROUND_DIST`` names one explicitly; otherwise the copy the wheel carries
    (``rl_playground/runner``), else, in a source checkout or an editable install, the
    repository's ``dist/`` (built by ``npm run build``)."""
    explicit = os.environ.get("RL_PLAYGROUND_DIST")
    candidates = [Path(explicit)] if explicit else []
    here = Path(__file__).resolve().parent
    candidates += [here / "runner", here.parent.parent / "dist"]
    for folder in candidates:
        if (folder / BRIDGE).is_file():
            return folder
    raise FileNotFoundError(
        f"the Node runner ({BRIDGE}) is missing; looked in {', '.join(str(c) for c in candidates)}. "
        "Build it with `npm run build` in the repository, then reinstall the package (pip install ./python)."
    )


def bridge_script() -> str:
    return str(runner_folder() / BRIDGE)


@lru_cache(maxsize=None)
def node_executable() -> str:
    """``RL_PLAYGROUND_NODE``, else ``node`` on PATH; Node 20 or later."""
    node = os.environ.get("RL_PLAYGROUND_NODE") or shutil.which("node")
    if not node:
        raise FileNotFoundError("Node.js 20 or later is needed on PATH (or set RL_PLAYGROUND_NODE to its executable)")
    version = subprocess.run([node, "--version"], capture_output=True, text=True, check=True).stdout.strip()
    major = int(version.lstrip("v").split(".")[0])
    if major < MIN_NODE_MAJOR:
        raise RuntimeError(f"{node} is Node {version}; rl_playground needs Node {MIN_NODE_MAJOR} or later")
    return node
