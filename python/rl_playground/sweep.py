"""Seed × setting sweeps of the engine's own trainer, as Ray Tune trials.

    rl_playground.sweep("examples/cartpole.rl.ts", seeds=range(1, 9), grid={"learningRate": [0.01, 0.03]})
    python -m rl_playground.sweep FILE --seeds 1..8 --set learningRate=0.01,0.03 [--address ADDR]

Every trial is one ``rl-playground train FILE --json --seed S --set k=v --out DIR`` run on
whichever Ray node has a free CPU; each progress line is reported to Tune, and the run folder
(the same files as ``train``: metrics, policy, summary.json) stays in the sweep folder as the
trial's result. A trial whose worker or node dies is retried (Tune's ``max_failures``). The
table is read back from the run folders, which the trainer writes complete or not at all: a
sweep stopped by Ctrl-C (it then says so in sweep.json and exits 130), or a lost node, keeps every
trial that finished; the staging folders of the trainers it killed are removed.

Without an address a local Ray instance is started on 127.0.0.1; nothing of it listens on
another address. The sweep folder must be on a filesystem every node sees (one machine, or a
shared mount), like Tune's own storage.
"""

from __future__ import annotations

import argparse
import ctypes
import itertools
import json
import math
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Iterable, Sequence

# Ray binds to the node's IP, which defaults to the machine's routable address; with this set
# (before Ray is imported) Ray 2.60 takes 127.0.0.1 on Linux. The node IP is also set explicitly.
os.environ.setdefault("RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER", "0")

from ._runner import node_executable, runner_folder  # noqa: E402

LOOPBACK = "127.0.0.1"
#: The trials' run folders, under the sweep folder.
RUNS = "runs"
#: The exit code of a sweep stopped by Ctrl-C, as a shell reports a command SIGINT ended.
INTERRUPTED_EXIT = 130


@dataclass
class TrialResult:
    """One finished trial, from its run folder's summary.json."""

    point: dict[str, Any]
    seed: int
    solved: bool
    solved_at_episode: int | None
    episodes: int
    mean_return100: float | None
    reason: str
    run_dir: str


@dataclass
class GroupSummary:
    """One grid point over its seeds."""

    point: dict[str, Any]
    seeds: int
    finished: int
    solved: int
    #: Median episodes to solve, an unsolved seed counting as never (infinite); None when over half are unsolved.
    median_episodes: float | None
    #: Distribution-free interval of that median (order statistics), and its exact coverage.
    interval: tuple[float | None, float | None]
    coverage: float


@dataclass
class SweepResult:
    folder: str
    trials: list[TrialResult]
    groups: list[GroupSummary]
    #: Ctrl-C stopped it.
    interrupted: bool
    #: Every trial finished (none stopped, none failed after its retries).
    complete: bool
    #: The Ray node each trial ran on, by run folder (from the trials' reports to Tune).
    nodes: dict[str, str]
    seconds: float

    def table(self) -> str:
        return format_table(self.groups)


# -- the grid ---------------------------------------------------------------------------


def parse_seeds(text: str) -> list[int]:
    """``1..8`` (inclusive) or ``1,2,5``."""
    text = text.strip()
    if ".." in text:
        first, last = (int(x) for x in text.split("..", 1))
        if last < first:
            raise ValueError(f"empty seed range {text}")
        return list(range(first, last + 1))
    return [int(x) for x in text.split(",") if x.strip()]


def split_values(text: str) -> list[str]:
    """Comma-separated values, commas inside brackets or quotes kept (``[16],[32,32]``)."""
    values, depth, quoted, current = [], 0, False, ""
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in "[{":
            depth += 1
        elif not quoted and ch in "]}":
            depth -= 1
        if ch == "," and depth == 0 and not quoted:
            values.append(current)
            current = ""
        else:
            current += ch
    values.append(current)
    return values


def parse_value(text: str) -> Any:
    """As the trainer's ``--set`` reads it: JSON, or else a string."""
    try:
        return json.loads(text)
    except ValueError:
        return text


def parse_grid(settings: Sequence[str]) -> dict[str, list[Any]]:
    """``["learningRate=0.01,0.03", ...]`` → ``{"learningRate": [0.01, 0.03], ...}``."""
    grid: dict[str, list[Any]] = {}
    for item in settings:
        key, sep, values = item.partition("=")
        if not sep or not key or not values:
            raise ValueError(f"--set expects key=v1,v2,..., got {item!r}")
        grid[key] = [parse_value(v) for v in split_values(values)]
    return grid


def grid_points(grid: dict[str, list[Any]]) -> list[dict[str, Any]]:
    keys = list(grid)
    return [dict(zip(keys, combo)) for combo in itertools.product(*(grid[k] for k in keys))]


def point_name(point: dict[str, Any]) -> str:
    return ",".join(f"{k}={json.dumps(v, separators=(',', ':'))}" for k, v in point.items()) or "defaults"


def folder_name(point: dict[str, Any], seed: int) -> str:
    safe = "".join(c if c.isalnum() or c in "-_.=," else "_" for c in point_name(point))
    return f"{safe}-seed{seed}"


# -- statistics ---------------------------------------------------------------------------


def median_interval(values: Sequence[float], level: float = 0.95) -> tuple[float | None, float | None, float | None, float]:
    """Median and a distribution-free interval for it: the order statistics (x_(j), x_(n+1-j))
    with the largest j whose coverage P(j ≤ B ≤ n−j), B ~ Binomial(n, ½), is at least ``level``
    (with few values, (min, max), whose coverage 1 − 2^(1−n) is then returned). Infinite values
    (unsolved seeds) are allowed; an infinite median or bound is None."""
    xs = sorted(values)
    n = len(xs)
    if n == 0:
        return None, None, None, 0.0

    def coverage(j: int) -> float:
        return sum(math.comb(n, k) for k in range(j, n - j + 1)) / 2**n

    j = 1
    while j + 1 <= n // 2 and coverage(j + 1) >= level:
        j += 1
    mid = (xs[(n - 1) // 2] + xs[n // 2]) / 2
    finite = lambda x: None if math.isinf(x) else x  # noqa: E731
    return finite(mid), finite(xs[j - 1]), finite(xs[n - j]), coverage(j)


def summarize(points: list[dict[str, Any]], seeds: list[int], trials: list[TrialResult]) -> list[GroupSummary]:
    groups = []
    for point in points:
        mine = [t for t in trials if t.point == point]
        to_solve = [float(t.solved_at_episode) if t.solved and t.solved_at_episode is not None else math.inf for t in mine]
        median, low, high, cover = median_interval(to_solve)
        groups.append(
            GroupSummary(
                point=point,
                seeds=len(seeds),
                finished=len(mine),
                solved=sum(t.solved for t in mine),
                median_episodes=median,
                interval=(low, high),
                coverage=cover,
            )
        )
    return groups


def format_table(groups: list[GroupSummary]) -> str:
    rows = [("settings", "solved", "median episodes to solve [interval]")]
    for g in groups:
        fmt = lambda x: "never" if x is None else f"{x:g}"  # noqa: E731
        if g.finished == 0:
            median = "-"
        else:
            median = f"{fmt(g.median_episodes)} [{fmt(g.interval[0])}, {fmt(g.interval[1])}] ({g.coverage:.0%})"
        unfinished = f" ({g.seeds - g.finished} unfinished)" if g.finished < g.seeds else ""
        rows.append((point_name(g.point), f"{g.solved}/{g.finished}{unfinished}", median))
    widths = [max(len(r[c]) for r in rows) for c in range(3)]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip() for r in rows)


# -- the trial ----------------------------------------------------------------------------


def _die_with_parent() -> None:
    """The trainer dies with the Ray worker that started it (a lost node leaves no training behind)."""
    PR_SET_PDEATHSIG = 1
    try:
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    except OSError:
        pass


def _trial(config: dict[str, Any]) -> None:
    """One seed at one grid point: the engine's ``train``, its progress reported to Tune."""
    import ray
    from ray import tune

    seed, point = config["seed"], config["point"]
    run_dir = os.path.join(config["folder"], RUNS, folder_name(point, seed))
    node_id = ray.get_runtime_context().get_node_id()
    command = [*config["trainer"], "train", config["file"], "--json", "--seed", str(seed), "--out", run_dir, "--backend", config["backend"]]
    if config["episodes"] is not None:
        command += ["--episodes", str(config["episodes"])]
    for key, value in point.items():
        command += ["--set", f"{key}={json.dumps(value)}"]
    env = {**os.environ, "RL_PLAYGROUND_CACHE": config["cache"]}
    # Its own session: a Ctrl-C meant for the driver does not stop a training half-way.
    proc = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env, preexec_fn=_die_with_parent, start_new_session=True
    )
    summary: dict[str, Any] | None = None
    assert proc.stdout is not None and proc.stderr is not None
    for line in proc.stdout:
        message = json.loads(line)
        if message.get("type") == "progress":
            tune.report({**_numbers(message), "node_id": node_id, "run_dir": run_dir})
        elif message.get("type") == "summary":
            summary = message
    errors = proc.stderr.read()
    if proc.wait() != 0 or summary is None or summary.get("reason") == "error":
        raise RuntimeError(f"the trainer failed (exit {proc.returncode}): {errors.strip() or summary}")
    tune.report(
        {
            "episodes": summary["episodes"],
            "solved": bool(summary["solved"]),
            "solved_at_episode": summary["solvedAtEpisode"] if summary["solvedAtEpisode"] is not None else -1,
            "node_id": node_id,
            "run_dir": run_dir,
            "finished": True,
        }
    )


def _numbers(message: dict[str, Any]) -> dict[str, float]:
    return {k: v for k, v in message.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}


def trainer_command(trainer: str | None = None) -> list[str]:
    """Runs the CLI's ``run(argv)`` from a built ``cli.js``: the one given, else the package's."""
    cli = trainer or str(runner_folder() / "cli.js")
    return [node_executable(), str(Path(__file__).resolve().parent / "trainer.js"), cli]


# -- the sweep ----------------------------------------------------------------------------


def read_trials(folder: str | Path, points: list[dict[str, Any]], seeds: list[int]) -> list[TrialResult]:
    """The finished trials, from their run folders (a stopped or failed run is not one)."""
    out = []
    for point in points:
        for seed in seeds:
            run_dir = Path(folder) / RUNS / folder_name(point, seed)
            try:
                summary = json.loads((run_dir / "summary.json").read_text())
            except (OSError, ValueError):
                continue
            if summary.get("reason") not in ("solved", "budget"):
                continue
            out.append(
                TrialResult(
                    point=point,
                    seed=seed,
                    solved=bool(summary["solved"]),
                    solved_at_episode=summary.get("solvedAtEpisode"),
                    episodes=int(summary["episodes"]),
                    mean_return100=summary.get("meanReturn100"),
                    reason=summary["reason"],
                    run_dir=str(run_dir),
                )
            )
    return out


def remove_unfinished_runs(folder: str | Path) -> None:
    """Removes what killed trainers left: the trainer writes a run into a hidden staging folder
    (``.NAME.partial-XXXX``) and renames it into place at its end, so a trial stopped by Ctrl-C,
    or killed with its worker before a retry, leaves one behind. Called once every trial has
    ended."""
    for staging in (Path(folder) / RUNS).glob(".*.partial-*"):
        shutil.rmtree(staging, ignore_errors=True)


def _connect(address: str | None) -> bool:
    """Connects to Ray (starting a local instance on the loopback address when no address is
    given); True when this call started Ray and so must stop it."""
    import ray

    if ray.is_initialized():
        return False
    if address is None:
        ray.init(_node_ip_address=LOOPBACK, include_dashboard=False, log_to_driver=False, configure_logging=False)
        return True
    host = address.split("://")[-1].rsplit(":", 1)[0]
    local = host in ("localhost", LOOPBACK) or host.startswith("127.")
    ray.init(address=address, log_to_driver=False, configure_logging=False, **({"_node_ip_address": LOOPBACK} if local else {}))
    return True


def sweep(
    file: str | os.PathLike[str],
    seeds: Iterable[int] = range(1, 9),
    grid: dict[str, Sequence[Any]] | None = None,
    *,
    address: str | None = None,
    episodes: int | None = None,
    backend: str = "auto",
    out: str | os.PathLike[str] | None = None,
    max_failures: int = 2,
    trainer: str | None = None,
    verbose: int = 0,
) -> SweepResult:
    """Trains ``file`` once per seed at every point of ``grid`` (setting → values) as Ray
    Tune trials, and summarises per grid point. Returns what finished, also after Ctrl-C."""
    from ray import tune

    path = os.path.abspath(os.fspath(file))
    seed_list = [int(s) for s in seeds]
    points = grid_points({k: list(v) for k, v in (grid or {}).items()})
    name = Path(path).name.removesuffix(".rl.ts")
    folder = os.path.abspath(out or os.path.join(".rl-playground", "sweeps", f"{name}-{time.strftime('%Y%m%d-%H%M%S')}"))
    os.makedirs(os.path.join(folder, RUNS), exist_ok=True)
    cache = os.path.join(os.path.expanduser("~"), ".cache", "rl-playground")
    started = time.monotonic()
    stop_ray = False
    interrupted = False
    nodes: dict[str, str] = {}
    try:
        stop_ray = _connect(address)
        tuner = tune.Tuner(
            tune.with_resources(_trial, {"cpu": 1}),
            param_space={
                "point": tune.grid_search(points),
                "seed": tune.grid_search(seed_list),
                "file": path,
                "folder": folder,
                "episodes": episodes,
                "backend": backend,
                "trainer": trainer_command(trainer),
                "cache": cache,
            },
            tune_config=tune.TuneConfig(reuse_actors=False),
            run_config=tune.RunConfig(
                name="tune",
                storage_path=folder,
                failure_config=tune.FailureConfig(max_failures=max_failures),
                verbose=verbose,
            ),
        )
        grid_result = tuner.fit()
        # Tune takes the first Ctrl-C itself: it stops the running trials, marks every trial
        # terminated and fit() returns. A trial that ran to its end reported "finished" last,
        # one that failed after its retries has its error: any other was stopped.
        interrupted = any(result.error is None and not (result.metrics or {}).get("finished") for result in grid_result)
        for result in grid_result:
            if result.metrics and "run_dir" in result.metrics:
                nodes[result.metrics["run_dir"]] = result.metrics["node_id"]
    except KeyboardInterrupt:
        # A Ctrl-C before Tune's handler is in place (Ray starting), or a second one.
        interrupted = True
    finally:
        if stop_ray:
            import ray

            ray.shutdown()
    remove_unfinished_runs(folder)
    trials = read_trials(folder, points, seed_list)
    result = SweepResult(
        folder=folder,
        trials=trials,
        groups=summarize(points, seed_list, trials),
        interrupted=interrupted,
        complete=len(trials) == len(points) * len(seed_list),
        nodes=nodes,
        seconds=time.monotonic() - started,
    )
    with open(os.path.join(folder, "sweep.json"), "w") as f:
        json.dump({"file": path, "seeds": seed_list, "grid": grid or {}, **_jsonable(result)}, f, indent=2)
    return result


def _jsonable(result: SweepResult) -> dict[str, Any]:
    data = asdict(result)
    return json.loads(json.dumps(data, default=str))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rl-playground sweep", description="grid × seeds of the engine's trainer as Ray Tune trials")
    parser.add_argument("file")
    parser.add_argument("--seeds", default="1..8")
    parser.add_argument("--set", action="append", default=[], metavar="KEY=V1,V2")
    parser.add_argument("--address")
    parser.add_argument("--episodes", type=int)
    parser.add_argument("--backend", default="auto", choices=["auto", "tensorflow", "wasm", "cpu"])
    parser.add_argument("--out")
    parser.add_argument("--max-failures", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--trainer", help="the built cli.js the trials run (default: the package's)")
    args = parser.parse_args(argv)
    try:
        seeds = parse_seeds(args.seeds)
        grid = parse_grid(args.set)
    except ValueError as error:
        parser.error(str(error))
    result = sweep(
        args.file,
        seeds,
        grid,
        address=args.address,
        episodes=args.episodes,
        backend=args.backend,
        out=args.out,
        max_failures=args.max_failures,
        trainer=args.trainer,
    )
    if args.json:
        print(json.dumps(_jsonable(result)))
    else:
        print(result.table())
        done = len(result.trials)
        total = len(result.groups) * len(seeds)
        print(f"{done}/{total} trials finished in {result.seconds:.1f} s; run folders in {os.path.join(result.folder, RUNS)}")
        if not result.complete:
            why = "the sweep was stopped" if result.interrupted else "some trials were stopped or failed after their retries"
            print(f"{why}: the table has the {done} that finished", file=sys.stderr)
    return 0 if result.complete else INTERRUPTED_EXIT if result.interrupted else 1


if __name__ == "__main__":
    sys.exit(main())
