"""Either side's death ends the other: Python killed leaves no Node process behind; a Node
process killed under Python is a clear exception, not a hang."""

import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

import rl_playground

from paths import CARTPOLE

#: How long the other side may take to notice (it does at once; this bounds a broken build).
NOTICE_S = 20


def children(pid):
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    # The parent's pid is the 2nd field after the parenthesised command name.
                    if int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                        found.append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    return found


def descendants(pid):
    out = []
    for child in children(pid):
        out += [child, *descendants(child)]
    return out


def alive(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def wait_until(condition, what):
    deadline = time.monotonic() + NOTICE_S
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"not within {NOTICE_S} s: {what}")
        time.sleep(0.05)


def the_runner_of(env):
    # The bridge's node children: the runner process (esbuild's service may be there too).
    runners = [p for p in children(env.bridge_pid) if "runnerProcess" in open(f"/proc/{p}/cmdline").read()]
    assert len(runners) == 1
    return runners[0]


def test_python_killed_leaves_no_node_process():
    script = (
        "import sys, time, rl_playground\n"
        f"envs = rl_playground.make_vec({CARTPOLE!r}, 4)\n"
        "envs.reset(seed=0)\n"
        "print(envs.bridge_pid, flush=True)\n"
        "time.sleep(600)\n"
    )
    python = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        bridge = int(python.stdout.readline())
        node_side = [bridge, *descendants(bridge)]
        assert len(node_side) >= 2  # the bridge and its runner at least
        python.kill()
        python.wait()
        wait_until(lambda: not any(alive(p) for p in node_side), f"the Node processes {node_side} end")
    finally:
        python.kill()


def test_the_bridge_killed_is_a_clear_error():
    env = rl_playground.make_vec(CARTPOLE, 2)
    env.reset(seed=0)
    runner = the_runner_of(env)
    os.kill(env.bridge_pid, signal.SIGKILL)
    # The runner follows its parent at once (its IPC channel closed).
    wait_until(lambda: not alive(runner), "the runner ends after the bridge")
    with pytest.raises(rl_playground.BridgeError, match=r"died \(killed by SIGKILL\); the environment is closed"):
        env.step(np.zeros(2, dtype=np.int64))
    with pytest.raises(rl_playground.BridgeError):
        env.reset()
    env.close()


def test_the_runner_killed_is_reported_as_the_runner_dying():
    env = rl_playground.make(CARTPOLE)
    env.reset(seed=0)
    bridge = env.bridge_pid
    os.kill(the_runner_of(env), signal.SIGKILL)
    with pytest.raises(rl_playground.UserCodeError, match=r"user-code-crashed: the runner process died \(signal SIGKILL\)"):
        for _ in range(1000):
            env.step(0)
            env.reset()
    wait_until(lambda: not alive(bridge), "the bridge exits after reporting")
