"""A real voxserve server (uvicorn, worker processes) on a free port, for integration tests."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import httpx

KEYED_ESPEAK = {
    "VOXSERVE_ENGINES": "espeak",
    "VOXSERVE_DEFAULT_VOICE": "espeak-zh",
    "VOXSERVE_REQUIRE_API_KEY": "true",
}
"""A quick server that requires API keys (espeak only: nothing to load)."""


@contextlib.contextmanager
def running(env: Mapping[str, str], workers: int = 1) -> Iterator[ServerProcess]:
    """A started server, stopped afterwards (for module fixtures)."""
    server = ServerProcess(env, workers=workers).start()
    try:
        yield server
    finally:
        server.stop()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


class ServerProcess:
    """``voxserve serve`` in a subprocess; ``env`` adds VOXSERVE_* settings.

    Unless ``env`` names one, the server's data directory is a fresh temporary directory, so
    that tests never share jobs, cache entries or keys. The same object can be started again
    (after ``stop`` or ``kill``) on the same port and data directory.
    """

    def __init__(
        self,
        env: Mapping[str, str],
        workers: int = 2,
        log: Path | None = None,
        args: Sequence[str] = (),
    ) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._env = {**os.environ, **env}
        if "VOXSERVE_DATA_DIR" not in env:
            self._data = tempfile.TemporaryDirectory(prefix="voxserve-data-")
            self._env["VOXSERVE_DATA_DIR"] = self._data.name
        self.data_dir = Path(self._env["VOXSERVE_DATA_DIR"])
        self._workers = workers
        self._log = log
        self._args = list(args)
        """More ``voxserve serve`` options."""
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 90.0) -> ServerProcess:
        out = self._log.open("wb") if self._log else subprocess.DEVNULL
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "voxserve.cli",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(self._workers),
                *self._args,
            ],
            env=self._env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"server exited with {self.process.returncode}")
            try:
                if httpx.get(f"{self.url}/readyz", timeout=1.0).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("server did not become ready")

    def kill(self) -> None:
        """SIGKILL the server and its worker processes (a crash: no drain, no cleanup)."""
        if self.process is None or self.process.poll() is not None:
            return
        children = _children(self.process.pid)
        self.process.kill()
        self.process.wait()
        for pid in children:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)

    def stop(self, timeout: float = 20.0) -> int | None:
        if self.process is None or self.process.poll() is not None:
            return None if self.process is None else self.process.returncode
        self.process.send_signal(signal.SIGTERM)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()


def _children(pid: int) -> list[int]:
    """Process ids of ``pid``'s direct children (Linux /proc)."""
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        children = (task / "children").read_text().split()
        found.extend(int(c) for c in children)
    return found
