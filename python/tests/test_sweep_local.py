"""Sweeps on the local Ray instance a sweep starts itself (no --address), run as the user runs
them, in a process of their own: Ctrl-C stops the sweep and keeps the trials that finished,
leaving no Ray or trainer process behind; nothing of that instance listens beyond the
loopback address; and a trial whose Ray worker is killed is retried and finishes."""

import ipaddress
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paths import CARTPOLE, REPO

#: Bounds a hang only: Ray starts in seconds and a stopped sweep ends in a few more.
HANG_GUARD_S = 120
#: A trial that ends at once, and one that cannot end in a test's time: with a learning rate
#: of 1e-9 CartPole's policy stays random (about 22 steps an episode), and a million episodes
#: are many minutes of training.
SHORT, LONG = "maxEpisodes=20", "maxEpisodes=1000000"
SETTINGS = ["--set", "learningRate=1e-9", "--set", "maxEpisodes=20,1000000"]


def environment():
    # The sweep's Python is this one (the CLI finds it by RL_PYTHON), with the package the tests import.
    return {**os.environ, "RL_PYTHON": sys.executable}


def stat(pid):
    """(state, parent pid, start time) of a process, or None once it is gone."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return fields[0], int(fields[1]), int(fields[19])


def processes():
    return {int(p): s for p in os.listdir("/proc") if p.isdigit() and (s := stat(p)) is not None}


def descendants(pid):
    """Every process below ``pid``, as {pid: start time} (a pid reused later is not the same process)."""
    table = processes()
    found, frontier = {}, {pid}
    while frontier:
        frontier = {p for p, (_, parent, _) in table.items() if parent in frontier and p not in found}
        found.update({p: table[p][2] for p in frontier})
    return found


def alive(pid, started):
    s = stat(pid)
    return s is not None and s[2] == started and s[0] != "Z"


def command_line(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def name(pid):
    try:
        with open(f"/proc/{pid}/comm") as f:
            return f.read().strip()
    except OSError:
        return ""


def wait_for(condition, what, process=None, log=None):
    """Polls ``condition`` until it holds; fails if ``process`` ends first or the hang guard passes."""
    deadline = time.monotonic() + HANG_GUARD_S
    while not (value := condition()):
        if process is not None and process.poll() is not None:
            pytest.fail(f"the sweep ended (exit {process.returncode}) before {what}:\n{log.read_text()[-3000:] if log else ''}")
        if time.monotonic() > deadline:
            pytest.fail(f"not within {HANG_GUARD_S} s: {what}")
        time.sleep(0.1)
    return value


def finished_runs(folder):
    """The run folders of finished runs: the trainer writes a run in a hidden staging folder
    and renames it into place when it ends, summary.json included."""
    found = set()
    for summary in (folder / "runs").glob("*/summary.json"):
        if summary.parent.name.startswith("."):
            continue
        try:
            if json.loads(summary.read_text())["reason"] in ("solved", "budget"):
                found.add(summary.parent.name)
        except (OSError, ValueError, KeyError):
            pass
    return found


def trainers(pid, setting):
    """The trainers below ``pid`` started with ``--set <setting>``."""
    return [p for p in descendants(pid) if f"--set {setting} " in command_line(p) + " " and " train " in command_line(p)]


def listening_sockets(pids):
    """The TCP sockets in LISTEN state that these processes hold, as (address, port, pid), from /proc."""
    owner = {}
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:["):
                    owner[target[8:-1]] = pid
        except OSError:
            pass  # ended meanwhile
    found = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            for line in f.readlines()[1:]:
                fields = line.split()
                local, state, inode = fields[1], fields[3], fields[9]
                if state == "0A" and inode in owner:
                    hex_address, hex_port = local.split(":")
                    # The kernel prints each 32-bit word of the address in host (little-endian) order.
                    raw = b"".join(bytes.fromhex(hex_address[i : i + 8])[::-1] for i in range(0, len(hex_address), 8))
                    found.append((ipaddress.ip_address(raw), int(hex_port, 16), owner[inode]))
    return found


def loopback(address):
    mapped = getattr(address, "ipv4_mapped", None)
    return (mapped or address).is_loopback


def test_ctrl_c_stops_the_sweep_keeps_the_finished_trials_and_leaves_no_process(tmp_path):
    folder = tmp_path / "sweep"
    log = tmp_path / "sweep.log"
    command = [
        "node", str(REPO / "bin" / "rl-playground.js"), "sweep", CARTPOLE, "--seeds", "1..2", *SETTINGS, "--out", str(folder),
    ]  # fmt: skip
    # Its own process group, as a terminal's foreground job: Ctrl-C is SIGINT to the whole group.
    with open(log, "w") as output:
        sweep = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=environment(), start_new_session=True)
    try:
        # A trial has finished, and a long one is training on a Ray worker.
        first = wait_for(lambda: finished_runs(folder), "a trial finishes", sweep, log)
        wait_for(lambda: trainers(sweep.pid, LONG), "a long trial trains", sweep, log)
        before = descendants(sweep.pid)
        names = {name(p) for p in before}
        assert {"raylet", "gcs_server"} <= names, names

        os.killpg(sweep.pid, signal.SIGINT)
        sweep.wait(timeout=HANG_GUARD_S)
    finally:
        if sweep.poll() is None:
            os.killpg(sweep.pid, signal.SIGKILL)
            sweep.wait()
    output = log.read_text()
    assert sweep.returncode == 130, output[-3000:]
    assert "the sweep was stopped" in output

    summary = json.loads((folder / "sweep.json").read_text())
    assert summary["interrupted"] is True and summary["complete"] is False
    kept = {Path(t["run_dir"]).name for t in summary["trials"]}
    # Exactly the trials that finished, the first of them among them, none of the long ones.
    assert first <= kept and kept == finished_runs(folder)
    assert all(SHORT in run for run in kept), kept
    # Nothing else in the runs folder: the stopped trainers' staging folders are removed.
    assert set(os.listdir(folder / "runs")) == kept
    for trial in summary["trials"]:
        run = Path(trial["run_dir"])
        assert trial["episodes"] == 20 and trial["reason"] == "budget"
        assert json.loads((run / "summary.json").read_text())["episodes"] == 20
        assert len((run / "metrics.jsonl").read_text().splitlines()) >= 1
        assert json.loads((run / "policy.json").read_text())
    # The table says which trials did not finish.
    assert any(" unfinished)" in line for line in output.splitlines())

    # Ray's processes, the workers and the trainers they started: all gone, none orphaned.
    wait_for(lambda: not any(alive(p, t) for p, t in before.items()), f"the sweep's processes {sorted(before)} end")
    left = [p for p in processes() if str(folder) in command_line(p)]
    assert not left, [command_line(p) for p in left]


def test_the_local_ray_instance_listens_on_loopback_only(tmp_path):
    folder = tmp_path / "sweep"
    log = tmp_path / "sweep.log"
    command = [sys.executable, "-m", "rl_playground.sweep", CARTPOLE, "--seeds", "1", "--set", "learningRate=1e-9", "--set", LONG,
               "--out", str(folder), "--trainer", str(REPO / "dist" / "cli.js")]  # fmt: skip
    with open(log, "w") as output:
        sweep = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=environment())
    try:
        # A trial trains: the GCS, the raylet, its agents and a worker are all up.
        wait_for(lambda: trainers(sweep.pid, LONG), "the trial trains", sweep, log)
        ours = descendants(sweep.pid)
        sockets = listening_sockets([sweep.pid, *ours])
        owners = {name(pid) for _, _, pid in sockets}
        assert {"gcs_server", "raylet"} <= owners, sockets
        # 127.x, ::1 or 127.0.0.1 mapped into IPv6; never 0.0.0.0, :: or a routable address.
        assert all(loopback(address) for address, _, _ in sockets), [(str(a), port, name(pid)) for a, port, pid in sockets]

        # SIGINT to the sweep's process alone (kill -INT) stops it as Ctrl-C does.
        sweep.send_signal(signal.SIGINT)
        sweep.wait(timeout=HANG_GUARD_S)
    finally:
        if sweep.poll() is None:
            sweep.kill()
            sweep.wait()
    assert sweep.returncode == 130, log.read_text()[-3000:]
    assert json.loads((folder / "sweep.json").read_text())["interrupted"] is True
    wait_for(lambda: not any(alive(p, t) for p, t in ours.items()), f"the sweep's processes {sorted(ours)} end")


def test_the_socket_listing_decodes_the_kernels_tables():
    import socket

    opened, expected = [], set()
    try:
        for family, address in ((socket.AF_INET, "127.0.0.1"), (socket.AF_INET6, "::1")):
            server = socket.socket(family)
            opened.append(server)
            try:
                server.bind((address, 0))
            except OSError:
                assert family == socket.AF_INET6  # a host without IPv6
                continue
            server.listen()
            expected.add((address, server.getsockname()[1]))
        assert {(str(a), port) for a, port, _ in listening_sockets([os.getpid()])} == expected
    finally:
        for server in opened:
            server.close()
    assert all(loopback(ipaddress.ip_address(a)) for a in ("127.0.0.1", "127.0.1.1", "::1", "::ffff:127.0.0.1"))
    assert not any(loopback(ipaddress.ip_address(a)) for a in ("0.0.0.0", "::", "::ffff:0.0.0.0", "10.0.0.5", "fe80::1"))


def test_a_trial_whose_worker_dies_is_retried_and_finishes(tmp_path):
    folder = tmp_path / "sweep"
    log = tmp_path / "sweep.log"
    budget = "maxEpisodes=5000"  # a few seconds of training: long enough to be killed in
    command = [sys.executable, "-m", "rl_playground.sweep", CARTPOLE, "--seeds", "1..2", "--set", "learningRate=1e-9", "--set", budget,
               "--max-failures", "2", "--out", str(folder), "--trainer", str(REPO / "dist" / "cli.js")]  # fmt: skip
    with open(log, "w") as output:
        sweep = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=environment())
    try:
        trainer = wait_for(lambda: trainers(sweep.pid, budget), "a trial trains", sweep, log)[0]
        worker = stat(trainer)[1]
        assert name(worker).startswith("ray::"), name(worker)
        trainer_started = descendants(worker)[trainer]
        assert not finished_runs(folder), "the trial ended before its worker could be killed"
        os.kill(worker, signal.SIGKILL)
        # The trainer dies with its worker.
        wait_for(lambda: not alive(trainer, trainer_started), "the killed worker's trainer ends")
        sweep.wait(timeout=HANG_GUARD_S)
    finally:
        if sweep.poll() is None:
            sweep.kill()
            sweep.wait()
    assert sweep.returncode == 0, log.read_text()[-3000:]
    summary = json.loads((folder / "sweep.json").read_text())
    assert summary["complete"] and not summary["interrupted"] and len(summary["trials"]) == 2
    assert set(os.listdir(folder / "runs")) == {Path(t["run_dir"]).name for t in summary["trials"]}
    for trial in summary["trials"]:
        run = Path(trial["run_dir"])
        saved = json.loads((run / "summary.json").read_text())
        assert saved["episodes"] == 5000
        # One training's metrics, one line per update: nothing of the killed attempt mixed in.
        assert len((run / "metrics.jsonl").read_text().splitlines()) == saved["updates"]
