"""The pipe to the Node process that runs one environment file's N copies.

Process model: Python starts ``node gym-bridge.js`` (the bridge), which bundles the file and
runs it in the engine's isolated runner process, the same one the editor checks and trains in
(a watchdog on every call into user code, a memory limit, crash reports placed in the file).
Python then talks to the runner thread directly through two FIFOs in a private temporary
folder: one request and one reply per ``reset``/``step`` of all N copies, as binary arrays
(the wire format is documented in ``server/src/sandbox/threadGymServe.ts``).

Failure semantics: the first failure in user code ends the runner's job, which closes the
reply pipe; the bridge then prints one JSON line saying why (code, message, file, line,
column), raised here as :class:`UserCodeError`. When the Node side dies without a word
(killed), :class:`BridgeError` says so. The bridge's stdin is a pipe that only this process
holds: when Python exits or is killed it closes, and the bridge kills the runner and exits.
"""

from __future__ import annotations

import errno
import io
import json
import os
import select
import shutil
import signal
import subprocess
import tempfile
import time
import weakref
from dataclasses import dataclass
from typing import Any

import numpy as np

from ._runner import bridge_script, node_executable

OP_RESET = 1
OP_STEP = 2
OP_RENDER = 3
OP_CLOSE = 4
REPLY_BATCH = 0
REPLY_JSON = 1
HEADER = 8

#: How long starting the bridge may take: bundling the file and starting a runner (which
#: loads TensorFlow.js) take a second or two on an idle machine, much longer on a busy one.
DEFAULT_START_TIMEOUT_S = 120.0


class UserCodeError(RuntimeError):
    """The environment file failed: it threw, timed out, crashed its runner, or returned
    something outside the Gymnasium contract. ``str()`` starts with ``file:line:column``."""

    def __init__(self, code: str, message: str, file: str | None, line: int | None, column: int | None, call: str | None):
        self.code = code
        self.file = file
        self.line = line
        self.column = column
        self.call = call
        where = file if file else "<unknown file>"
        if line is not None:
            where += f":{line}:{column if column is not None else 1}"
        super().__init__(f"{where}: {code}: {message}")


class BridgeError(RuntimeError):
    """The Node side is gone or failed for a reason that is not the environment file's."""


@dataclass(frozen=True)
class Hello:
    """What the runner says about the environment once its copies are built."""

    name: str
    num_envs: int
    observation_space: dict[str, Any]
    action_space: dict[str, Any]
    max_episode_steps: int
    reward_threshold: float | None
    render_modes: list[str]
    has_reward_export: bool


@dataclass
class Batch:
    """One reply to a reset or a step, copied out of the reply buffer."""

    observations: np.ndarray
    rewards: np.ndarray
    terminated: np.ndarray
    truncated: np.ndarray
    infos: list[dict[str, Any]]


def _cleanup(proc: subprocess.Popen, fds: list[int], folder: str) -> None:
    """Ends the bridge however the owner went away: closing our pipe ends is enough (the
    runner sees end of file, the bridge sees its stdin close); a kill is the fallback."""
    for fd in fds:
        try:
            os.close(fd)
        except OSError:
            pass
    try:
        if proc.stdin:
            proc.stdin.close()
    except OSError:
        pass
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    for stream in (proc.stdout,):
        if stream:
            stream.close()
    shutil.rmtree(folder, ignore_errors=True)


class Bridge:
    """N copies of one environment file behind a pipe."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        num_envs: int,
        *,
        call_timeout_ms: int | None = None,
        memory_limit_mb: int | None = None,
        start_timeout: float = DEFAULT_START_TIMEOUT_S,
    ):
        self.path = os.path.abspath(os.fspath(path))
        if not os.path.isfile(self.path):
            raise FileNotFoundError(f"no such environment file: {self.path}")
        if not isinstance(num_envs, (int, np.integer)) or num_envs < 1:
            raise ValueError(f"num_envs must be a whole number >= 1, got {num_envs!r}")
        self.num_envs = int(num_envs)
        self._failure: Exception | None = None
        self._closed = False
        self._folder = tempfile.mkdtemp(prefix="rl-playground-gym-")
        request_path = os.path.join(self._folder, "request")
        reply_path = os.path.join(self._folder, "reply")
        os.mkfifo(request_path, 0o600)
        os.mkfifo(reply_path, 0o600)
        # Held before the runner exists, so its open of the reply pipe for writing never waits.
        self._reply_fd = os.open(reply_path, os.O_RDONLY | os.O_NONBLOCK)
        self._stderr_path = os.path.join(self._folder, "stderr")
        start = {
            "file": self.path,
            "numEnvs": self.num_envs,
            "requestPath": request_path,
            "replyPath": reply_path,
        }
        if call_timeout_ms is not None:
            start["callTimeoutMs"] = int(call_timeout_ms)
        if memory_limit_mb is not None:
            start["memoryLimitMb"] = int(memory_limit_mb)
        with open(self._stderr_path, "wb") as stderr:
            # A session of its own: Ctrl-C in the terminal reaches Python, which decides what
            # to do with the environment, not the bridge (which ends when Python does).
            self._proc = subprocess.Popen(
                [node_executable(), bridge_script(), json.dumps(start)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=stderr,
                start_new_session=True,
            )
        self._request_fd = -1
        self._finalizer = weakref.finalize(self, _cleanup, self._proc, [self._reply_fd], self._folder)
        self._request_fd = self._open_request(request_path, start_timeout)
        self._finalizer.detach()
        self._finalizer = weakref.finalize(self, _cleanup, self._proc, [self._reply_fd, self._request_fd], self._folder)
        # The runner removes them too once opened; either way nothing else can connect now.
        for p in (request_path, reply_path):
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
        os.set_blocking(self._reply_fd, True)
        self._reply = io.FileIO(self._reply_fd, "rb", closefd=False)
        hello = self._read_json()
        self.hello = Hello(
            name=hello["name"],
            num_envs=hello["numEnvs"],
            observation_space=hello["observationSpace"],
            action_space=hello["actionSpace"],
            max_episode_steps=hello["maxEpisodeSteps"],
            reward_threshold=hello["rewardThreshold"],
            render_modes=list(hello["renderModes"]),
            has_reward_export=bool(hello["hasRewardExport"]),
        )
        self._setup_buffers()

    @property
    def pid(self) -> int:
        """The bridge process's id (the runner process is its child)."""
        return self._proc.pid

    # -- start-up -----------------------------------------------------------------------

    def _open_request(self, request_path: str, timeout: float) -> int:
        """Opens the request pipe for writing once the runner has opened it for reading.

        A non-blocking open fails with ENXIO until then; meanwhile the bridge may end instead
        (the file does not compile, its constructor throws), which its stdout then says."""
        deadline = time.monotonic() + timeout
        while True:
            try:
                fd = os.open(request_path, os.O_WRONLY | os.O_NONBLOCK)
                os.set_blocking(fd, True)
                return fd
            except OSError as error:
                if error.errno != errno.ENXIO:
                    raise
            ready, _, _ = select.select([self._proc.stdout], [], [], 0.01)
            if ready or self._proc.poll() is not None:
                self._close_after_failure()
                raise self._failure  # type: ignore[misc]
            if time.monotonic() > deadline:
                self._proc.kill()
                self._close_after_failure()
                raise BridgeError(f"the Node bridge for {self.path} did not start within {timeout:.0f} s{self._stderr_tail()}")

    def _setup_buffers(self) -> None:
        n = self.num_envs
        obs = self.hello.observation_space
        act = self.hello.action_space
        self.obs_dim = len(obs["low"]) if obs["kind"] == "box" else 1
        self.act_dim = len(act["low"]) if act["kind"] == "box" else 1
        self._obs_box = obs["kind"] == "box"
        # Requests: header, then the body's arrays, written in place through numpy views.
        self._step_request = bytearray(HEADER + 8 * n * self.act_dim + n)
        _header(self._step_request, len(self._step_request) - HEADER, OP_STEP)
        self._step_actions = np.frombuffer(self._step_request, dtype=np.float64, count=n * self.act_dim, offset=HEADER)
        self._step_reset = np.frombuffer(self._step_request, dtype=np.uint8, count=n, offset=HEADER + 8 * n * self.act_dim)
        # Replies: the fixed part of a batch, read in one go (one read on an idle pipe).
        obs_bytes = 4 * n * self.obs_dim if self._obs_box else 8 * n
        self._batch_fixed = HEADER + 8 * n + obs_bytes + 4 * n + 2 * n
        self._reply_buffer = bytearray(self._batch_fixed)
        self._reply_view = memoryview(self._reply_buffer)
        at = HEADER
        self._r_rewards = np.frombuffer(self._reply_buffer, dtype=np.float64, count=n, offset=at)
        at += 8 * n
        if self._obs_box:
            self._r_obs = np.frombuffer(self._reply_buffer, dtype=np.float32, count=n * self.obs_dim, offset=at).reshape(n, self.obs_dim)
        else:
            self._r_obs = np.frombuffer(self._reply_buffer, dtype=np.float64, count=n, offset=at)
        at += obs_bytes
        self._r_info_bytes = np.frombuffer(self._reply_buffer, dtype=np.uint32, count=n, offset=at)
        at += 4 * n
        self._r_terminated = np.frombuffer(self._reply_buffer, dtype=np.uint8, count=n, offset=at)
        self._r_truncated = np.frombuffer(self._reply_buffer, dtype=np.uint8, count=n, offset=at + n)

    # -- requests -----------------------------------------------------------------------

    def reset(self, mask: np.ndarray, seeds: list[int | None], options: dict[str, Any] | None) -> Batch:
        n = self.num_envs
        options_bytes = b"" if options is None else json.dumps(options, default=_json_default).encode()
        body = bytearray(10 * n + 4 + len(options_bytes))
        seed_values = np.frombuffer(body, dtype=np.float64, count=n, offset=0)
        has_seed = np.frombuffer(body, dtype=np.uint8, count=n, offset=9 * n)
        np.frombuffer(body, dtype=np.uint8, count=n, offset=8 * n)[:] = mask.astype(np.uint8)
        for i, seed in enumerate(seeds):
            if seed is not None:
                if not 0 <= int(seed) < 2**53:
                    raise ValueError(f"seed must be a whole number from 0 to 2**53 - 1, got {seed}")
                seed_values[i] = float(int(seed))
                has_seed[i] = 1
        body[10 * n : 10 * n + 4] = len(options_bytes).to_bytes(4, "little")
        body[10 * n + 4 :] = options_bytes
        frame = bytearray(HEADER)
        _header(frame, len(body), OP_RESET)
        self._send(bytes(frame) + bytes(body))
        return self._read_batch()

    def step(self, actions: np.ndarray, reset_instead: np.ndarray) -> Batch:
        self._step_actions[:] = np.asarray(actions, dtype=np.float64).reshape(-1)
        self._step_reset[:] = reset_instead
        self._send(self._step_request)
        return self._read_batch()

    def render(self, index: int) -> Any:
        frame = bytearray(HEADER + 4)
        _header(frame, 4, OP_RENDER)
        frame[HEADER:] = int(index).to_bytes(4, "little")
        self._send(frame)
        return self._read_json()

    def close(self) -> None:
        """Closes the copies (their ``close()`` runs) and ends the Node side; a second call does nothing."""
        if self._closed:
            return
        self._closed = True
        if self._failure is None:
            frame = bytearray(HEADER)
            _header(frame, 0, OP_CLOSE)
            try:
                os.write(self._request_fd, frame)
            except OSError:
                pass
            end = self._read_end()
            self._finalizer()
            # A close() that threw in the file is reported like any other failure.
            if end.get("type") == "error":
                raise self._error_from(end)
            return
        self._finalizer()

    # -- plumbing -----------------------------------------------------------------------

    def _check_open(self) -> None:
        if self._failure is not None:
            raise self._failure
        if self._closed:
            raise BridgeError(f"the environment {self.path} is closed")

    def _send(self, data: bytes | bytearray) -> None:
        self._check_open()
        view = memoryview(data)
        try:
            while view:
                written = os.write(self._request_fd, view)
                view = view[written:]
        except BrokenPipeError:
            # The runner is gone; its reason comes from the bridge.
            self._fail_from_bridge()

    def _read_exactly(self, into: memoryview) -> None:
        got = 0
        while got < len(into):
            read = self._reply.readinto(into[got:])
            if not read:
                self._fail_from_bridge()
            got += read

    def _read_header(self) -> tuple[int, int]:
        header = bytearray(HEADER)
        self._read_exactly(memoryview(header))
        return int.from_bytes(header[:4], "little"), int.from_bytes(header[4:8], "little")

    def _read_batch(self) -> Batch:
        self._read_exactly(self._reply_view)
        body = int.from_bytes(self._reply_view[:4], "little")
        extra = HEADER + body - self._batch_fixed
        infos: list[dict[str, Any]] = [{} for _ in range(self.num_envs)]
        if extra > 0:
            tail = bytearray(extra)
            self._read_exactly(memoryview(tail))
            at = 0
            for i, size in enumerate(self._r_info_bytes):
                if size:
                    infos[i] = json.loads(bytes(tail[at : at + size]))
                    at += int(size)
        return Batch(
            observations=self._r_obs.copy() if self._obs_box else self._r_obs.astype(np.int64),
            rewards=self._r_rewards.copy(),
            terminated=self._r_terminated.astype(bool),
            truncated=self._r_truncated.astype(bool),
            infos=infos,
        )

    def _read_json(self) -> Any:
        body, kind = self._read_header()
        if kind != REPLY_JSON:
            raise BridgeError(f"unexpected reply kind {kind} from the runner")
        data = bytearray(body)
        self._read_exactly(memoryview(data))
        return json.loads(bytes(data))

    def _read_end(self) -> dict[str, Any]:
        """The bridge's last line; empty when it died without one."""
        assert self._proc.stdout is not None
        line = self._proc.stdout.readline()
        self._proc.wait()
        try:
            return json.loads(line) if line.strip() else {}
        except ValueError:
            return {}

    def _stderr_tail(self) -> str:
        try:
            with open(self._stderr_path, "rb") as f:
                text = f.read()[-2000:].decode("utf8", "replace").strip()
        except OSError:
            return ""
        return f"; its stderr ends with: {text}" if text else ""

    def _error_from(self, end: dict[str, Any]) -> Exception:
        if end.get("type") == "error" and end.get("code") != "engine-error":
            return UserCodeError(end["code"], end["message"], end.get("file"), end.get("line"), end.get("column"), end.get("call"))
        if end.get("type") == "error":
            return BridgeError(f"the Node bridge for {self.path} failed: {end['message']}")
        code = self._proc.returncode
        how = f"killed by {signal.Signals(-code).name}" if code is not None and code < 0 else f"exit code {code}"
        return BridgeError(f"the Node process serving {self.path} died ({how}); the environment is closed{self._stderr_tail()}")

    def _close_after_failure(self) -> None:
        end = self._read_end()
        self._failure = self._error_from(end)
        self._closed = True
        self._finalizer()

    def _fail_from_bridge(self) -> None:
        self._close_after_failure()
        raise self._failure  # type: ignore[misc]


def _header(buffer: bytearray, body_bytes: int, op: int) -> None:
    buffer[0:4] = body_bytes.to_bytes(4, "little")
    buffer[4:8] = op.to_bytes(4, "little")


def _json_default(value: Any) -> Any:
    """Reset options may hold numpy values: sent as plain numbers and lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"reset options must be JSON data, got {type(value).__name__}")
