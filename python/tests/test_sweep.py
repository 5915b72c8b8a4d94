"""Sweeps on a real two-node Ray cluster on this machine (ray.cluster_utils.Cluster, one CPU
per node, both on 127.0.0.1): the trials run on both nodes, a node removed mid-sweep loses no
trial, Ray listens on the loopback address only; and the sweep's grammar and statistics."""

import json
import math
import os
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest

from rl_playground import sweep as sweeps  # sets RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER before Ray loads

import ray
from ray.cluster_utils import Cluster

from paths import CARTPOLE, REPO

BANDIT = str(REPO / "examples" / "bandit.rl.ts")
#: The trials run the repository's build of the CLI, the one `npm run build` just made.
TRAINER = str(REPO / "dist" / "cli.js")


@pytest.fixture(scope="module")
def cluster():
    cluster = Cluster(
        initialize_head=True,
        head_node_args={"num_cpus": 1, "node_ip_address": sweeps.LOOPBACK, "include_dashboard": False},
    )
    worker = cluster.add_node(num_cpus=1, node_ip_address=sweeps.LOOPBACK)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, _node_ip_address=sweeps.LOOPBACK, log_to_driver=False)
    try:
        yield cluster, cluster.head_node, worker
    finally:
        ray.shutdown()
        cluster.shutdown()


def descendants(pid):
    out = subprocess.run(["ps", "-eo", "pid=,ppid="], capture_output=True, text=True, check=True).stdout.split()
    pairs = list(zip(map(int, out[0::2]), map(int, out[1::2])))
    found, frontier = set(), {pid}
    while frontier:
        frontier = {p for p, parent in pairs if parent in frontier} - found
        found |= frontier
    return found


def test_eight_trials_run_on_both_nodes_and_ray_listens_on_loopback_only(cluster, tmp_path):
    _, head, worker = cluster
    result = sweeps.sweep(BANDIT, range(1, 9), out=tmp_path / "sweep", trainer=TRAINER)
    assert result.complete and not result.interrupted and len(result.trials) == 8
    assert all(t.solved for t in result.trials)
    ran_on = set(result.nodes.values())
    assert len(result.nodes) == 8 and ran_on == {head.node_id, worker.node_id}
    # Every trial kept its run folder, as `train` writes it.
    for trial in result.trials:
        assert {"summary.json", "metrics.jsonl", "policy.json"} <= set(os.listdir(trial.run_dir))

    # The cluster's processes (GCS, raylets, object stores, workers) all descend from this test.
    ours = descendants(os.getpid())
    listening = subprocess.run(["ss", "-ltnpH"], capture_output=True, text=True, check=True).stdout.splitlines()
    ray_sockets = [line.split()[3] for line in listening if {int(p) for p in re.findall(r"pid=(\d+)", line)} & ours]
    gcs_port = cluster[0].address.rsplit(":", 1)[1]
    assert any(address.endswith(":" + gcs_port) for address in ray_sockets), ray_sockets
    # Loopback: 127.x, ::1, or 127.0.0.1 as an IPv4-mapped IPv6 address; never 0.0.0.0, * or [::].
    assert all(address.startswith(("127.", "[::1]:", "[::ffff:127.")) for address in ray_sockets), ray_sockets


def test_a_node_removed_mid_sweep_loses_no_trial(cluster, tmp_path):
    whole, head, worker = cluster
    folder = tmp_path / "sweep"
    removed = threading.Event()

    def remove_after_the_first_finished_trial():
        deadline = time.monotonic() + 300
        while time.monotonic() < deadline:
            if list((folder / sweeps.RUNS).glob("*/summary.json")):
                whole.remove_node(worker)
                removed.set()
                return
            time.sleep(0.1)

    remover = threading.Thread(target=remove_after_the_first_finished_trial, daemon=True)
    remover.start()
    result = sweeps.sweep(CARTPOLE, range(1, 9), out=folder, trainer=TRAINER, max_failures=3)
    remover.join()
    assert removed.is_set()
    assert result.complete and len(result.trials) == 8
    assert all(t.solved for t in result.trials)
    # The head node took the trials that were left (and any retried from the lost node).
    assert head.node_id in set(result.nodes.values())


def test_the_grid_and_the_seeds_are_read_as_the_cli_writes_them():
    assert sweeps.parse_seeds("1..8") == list(range(1, 9))
    assert sweeps.parse_seeds("3,1,7") == [3, 1, 7]
    grid = sweeps.parse_grid(["learningRate=0.01,0.03", "policy.hidden=[16],[32,32]", "baseline=none,mean"])
    assert grid == {"learningRate": [0.01, 0.03], "policy.hidden": [[16], [32, 32]], "baseline": ["none", "mean"]}
    assert len(sweeps.grid_points(grid)) == 8
    with pytest.raises(ValueError):
        sweeps.parse_grid(["learningRate"])


def test_the_median_interval_is_distribution_free_and_counts_unsolved_as_never():
    median, low, high, coverage = sweeps.median_interval([5, 1, 4, 2, 8, 7, 3, 6])
    # With 8 values (x(2), x(7)) covers the median with probability 1 − 2·(1 + 8)/256 = 93%,
    # under 95%, so the interval is (x(1), x(8)), with 1 − 2/256.
    assert (median, low, high) == (4.5, 1, 8) and coverage == pytest.approx(1 - 2 / 256)
    median, low, high, _ = sweeps.median_interval([100, 200, math.inf, math.inf, math.inf])
    assert median is None and low == 100 and high is None
    median, low, high, coverage = sweeps.median_interval(list(range(1, 21)))
    assert (median, low, high) == (10.5, 6, 15) and coverage >= 0.95


def test_the_cli_runs_a_sweep_and_prints_the_table(cluster, tmp_path):
    whole, _, _ = cluster
    out = tmp_path / "cli-sweep"
    completed = subprocess.run(
        ["node", str(REPO / "bin" / "rl-playground.js"), "sweep", BANDIT, "--seeds", "1..2", "--set", "learningRate=0.05,0.1",
         "--address", whole.address, "--out", str(out)],
        capture_output=True, text=True, timeout=600, env={**os.environ, "RL_PYTHON": os.sys.executable},
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    lines = completed.stdout.strip().splitlines()
    assert lines[-4].split() == ["settings", "solved", "median", "episodes", "to", "solve", "[interval]"]
    assert lines[-3].startswith("learningRate=0.05") and " 2/2 " in lines[-3]
    assert lines[-2].startswith("learningRate=0.1") and " 2/2 " in lines[-2]
    assert lines[-1].startswith("4/4 trials finished")
    saved = json.loads((out / "sweep.json").read_text())
    assert saved["complete"] and not saved["interrupted"] and len(saved["trials"]) == 4
