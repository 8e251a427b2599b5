"""The servers under test: how each is started, when it is ready, and how it is stopped.

Every server gets the same ``VOXSERVE_*`` engine environment (engines, engine threads, default
voice) and the same number of synthesis processes; see ``docs/benchmarks.md`` for why each is
set up the way it is.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
from tests.support.server import ServerProcess, free_port

from .procstat import tree

BENCH = Path(__file__).resolve().parents[1]
BASELINES = BENCH / "baselines"
START_TIMEOUT_S = 120.0


@dataclass(frozen=True)
class Launch:
    """What every target is started with."""

    workers: int
    env: Mapping[str, str]
    """``VOXSERVE_*`` settings shared by all targets (engines, threads, default voice)."""
    voxserve_env: Mapping[str, str]
    """Settings for voxserve alone (its admission limit, its cache switched off)."""
    log: Path | None = None


@dataclass
class Running:
    """A started server: where it listens, the root of its process tree, how to stop it."""

    url: str
    pid: int
    stop: Callable[[], None]


@dataclass(frozen=True)
class Target:
    """A server under test; ``stream`` asks it for streamed audio (voxserve only)."""

    name: str
    title: str
    start: Callable[[Launch], Running]
    stream: bool = False


def _log_file(launch: Launch) -> IO[bytes] | int:
    return launch.log.open("wb") if launch.log else subprocess.DEVNULL


def stop_tree(process: subprocess.Popen[bytes], grace: float = 5.0) -> None:
    """SIGTERM ``process``, SIGKILL whatever of its tree is left after ``grace`` seconds."""
    if process.poll() is not None:
        return
    pids = tree(process.pid)
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    for pid in pids[1:]:  # workers the root did not take down (a pool mid-request)
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def _wait_http(url: str, process: subprocess.Popen[bytes], ready: Callable[[], bool]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{url}: server exited with {process.returncode}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"{url}/healthz", timeout=1.0).status_code == 200 and ready():
                return
        time.sleep(0.2)
    stop_tree(process)
    raise RuntimeError(f"{url}: server did not become ready")


def _popen(
    argv: list[str], launch: Launch, extra_env: Mapping[str, str]
) -> subprocess.Popen[bytes]:
    env = {**os.environ, **launch.env, **extra_env}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(BASELINES), env.get("PYTHONPATH")]))
    out = _log_file(launch)
    return subprocess.Popen(argv, env=env, stdout=out, stderr=subprocess.STDOUT)


def start_voxserve(launch: Launch) -> Running:
    """``voxserve serve --workers N`` (uvicorn, one event loop, N synthesis processes)."""
    server = ServerProcess({**launch.env, **launch.voxserve_env}, launch.workers, launch.log)
    server.start(timeout=START_TIMEOUT_S)
    assert server.process is not None

    def stop() -> None:
        assert server.process is not None
        pids = tree(server.process.pid)
        server.stop(timeout=15.0)
        for pid in pids[1:]:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    return Running(server.url, server.process.pid, stop)


def start_flask(launch: Launch) -> Running:
    """Flask under gunicorn: N sync workers, each with its own engine, one request at a time."""
    port = free_port()
    ready_dir = tempfile.mkdtemp(prefix="bench-ready-")
    argv = [sys.executable, "-m", "gunicorn", "--workers", str(launch.workers)]
    argv += ["--worker-class", "sync", "--bind", f"127.0.0.1:{port}", "--chdir", str(BASELINES)]
    # A sync worker busy longer than this is killed; a long queue is not its business.
    argv += ["--timeout", "120", "flask_app:app"]
    process = _popen(argv, launch, {"BENCH_READY_DIR": ready_dir})
    url = f"http://127.0.0.1:{port}"
    _wait_http(url, process, lambda: len(list(Path(ready_dir).iterdir())) >= launch.workers)
    return Running(url, process.pid, lambda: stop_tree(process))


def start_fastapi(launch: Launch) -> Running:
    """FastAPI under uvicorn, the engine in ``run_in_executor`` on a pool of N processes."""
    port = free_port()
    script = BASELINES / "fastapi_app.py"
    argv = [sys.executable, str(script), "--port", str(port), "--workers", str(launch.workers)]
    process = _popen(argv, launch, {})
    url = f"http://127.0.0.1:{port}"
    _wait_http(url, process, lambda: True)  # uvicorn listens once every pool process is warm
    return Running(url, process.pid, lambda: stop_tree(process))


def start_trivial(launch: Launch) -> Running:
    """The trivial endpoint the generator's own overhead is measured against."""
    port = free_port()
    argv = [sys.executable, str(BENCH / "loadgen" / "trivial.py"), "--port", str(port)]
    process = _popen(argv, launch, {})
    url = f"http://127.0.0.1:{port}"
    _wait_http(url, process, lambda: True)
    return Running(url, process.pid, lambda: stop_tree(process))


TARGETS: dict[str, Target] = {
    t.name: t
    for t in (
        Target("voxserve", "voxserve", start_voxserve),
        Target("voxserve-stream", "voxserve (streaming)", start_voxserve, stream=True),
        Target("flask", "Flask + gunicorn", start_flask),
        Target("fastapi", "FastAPI + run_in_executor", start_fastapi),
    )
}
"""Every HTTP target, in the order a run measures them."""
