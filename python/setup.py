"""Packs the built Node runner into the package (``rl_playground/runner``).

The runner is the repository's ``dist/`` as ``npm run build`` leaves it (or the folder
``RL_PLAYGROUND_DIST`` names): the bridge, the runner process and thread, TensorFlow.js'
WebAssembly binaries and esbuild's native binary, which bundles the user's file. That binary
is for one platform, so the wheel is tagged for it (``py3-none-<platform>``) although it holds
no compiled Python code.
"""

import os
import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent
#: What the runner (and the trainer of sweeps, cli.js) needs at run time; source maps of our
#: own code and the editor's bundles stay out.
RUNNER_FILES = ["gym-bridge.js", "cli.js", "runnerProcess.js", "runnerThread.js", "tfjs-backend-wasm.wasm", "tfjs-backend-wasm-simd.wasm",
                "tfjs-backend-wasm-threaded-simd.wasm", "bin/esbuild", "bin/esbuild.exe"]
REQUIRED = ["gym-bridge.js", "cli.js", "runnerProcess.js", "runnerThread.js"]


def built_dist() -> Path:
    dist = Path(os.environ.get("RL_PLAYGROUND_DIST", HERE.parent / "dist"))
    missing = [f for f in REQUIRED if not (dist / f).is_file()]
    if missing:
        raise SystemExit(
            f"rl-playground: {dist} lacks {', '.join(missing)}: run `npm ci && npm run build` in the repository "
            "before building or installing the Python package (or set RL_PLAYGROUND_DIST to a built dist/)."
        )
    return dist


class BuildWithRunner(build_py):
    def run(self):
        super().run()
        dist = built_dist()
        target = Path(self.build_lib) / "rl_playground" / "runner"
        shutil.rmtree(target, ignore_errors=True)
        for name in RUNNER_FILES:
            source = dist / name
            if source.is_file():
                (target / name).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, target / name)


class PlatformWheel(bdist_wheel):
    def finalize_options(self):
        super().finalize_options()
        self.root_is_pure = False

    def get_tag(self):
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(cmdclass={"build_py": BuildWithRunner, "bdist_wheel": PlatformWheel})
