"""Wall time of one sweep (8 CartPole seeds, the engine's trainer) on a Ray cluster of one
node and of two nodes, one CPU each, both on 127.0.0.1 (ray.cluster_utils.Cluster).

    <venv>/bin/python python/bench/sweep_nodes.py [--seeds 8]

A benchmark, not a test: it prints a table. On one machine the two "nodes" share its cores,
so the second node helps only as far as a core is free.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

from rl_playground import sweep as sweeps  # sets RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER before Ray loads

import ray
from ray.cluster_utils import Cluster

REPO = Path(__file__).resolve().parents[2]


def timed_sweep(nodes: int, seeds: int) -> tuple[float, set[str]]:
    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "node_ip_address": sweeps.LOOPBACK, "include_dashboard": False})
    for _ in range(nodes - 1):
        cluster.add_node(num_cpus=1, node_ip_address=sweeps.LOOPBACK)
    cluster.wait_for_nodes()
    ray.init(address=cluster.address, _node_ip_address=sweeps.LOOPBACK, log_to_driver=False)
    try:
        with tempfile.TemporaryDirectory() as folder:
            start = time.perf_counter()
            result = sweeps.sweep(
                REPO / "examples" / "cartpole.rl.ts", range(1, seeds + 1), out=os.path.join(folder, "sweep"), trainer=str(REPO / "dist" / "cli.js")
            )
            seconds = time.perf_counter() - start
            assert result.complete, "a trial did not finish"
            return seconds, set(result.nodes.values())
    finally:
        ray.shutdown()
        cluster.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", type=int, default=8)
    args = parser.parse_args()
    rows = []
    for nodes in (1, 2):
        seconds, used = timed_sweep(nodes, args.seeds)
        rows.append((nodes, seconds, len(used)))
    print(f"{args.seeds} CartPole trials; load average before: {os.getloadavg()[0]:.1f}")
    print(f"{'nodes':>5}  {'wall s':>7}  nodes used")
    for nodes, seconds, used in rows:
        print(f"{nodes:>5}  {seconds:>7.1f}  {used}")


if __name__ == "__main__":
    main()
