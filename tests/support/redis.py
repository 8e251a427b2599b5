"""A real ``redis-server`` on a free port, for tests of the shared (scaled-out) backends.

Never the system's Redis service: each test session starts its own, without persistence unless
asked (``durable=True`` keeps an append-only file, so that a stop and a start lose nothing).
"""

from __future__ import annotations

import contextlib
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.server import free_port

REDIS_SERVER = shutil.which("redis-server")


class RedisProcess:
    """``redis-server`` in a subprocess; ``start`` / ``stop`` / ``kill`` as often as needed, on
    the same port (and, when durable, the same data)."""

    def __init__(self, *, durable: bool = False) -> None:
        if REDIS_SERVER is None:
            raise RuntimeError("redis-server is not installed (scripts/setup --dev installs it)")
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.durable = durable
        self._dir = tempfile.TemporaryDirectory(prefix="voxserve-redis-")
        self.process: subprocess.Popen[bytes] | None = None

    def start(self, timeout: float = 10.0) -> RedisProcess:
        persistence = (
            ["--appendonly", "yes", "--appendfsync", "always"]
            if self.durable
            else ["--appendonly", "no"]
        )
        assert REDIS_SERVER is not None
        self.process = subprocess.Popen(
            [
                REDIS_SERVER,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                *persistence,
                "--dir",
                self._dir.name,
                "--logfile",
                str(Path(self._dir.name) / "redis.log"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited with {self.process.returncode}")
            if self.ping():
                return self
            time.sleep(0.02)
        self.kill()
        raise RuntimeError("redis-server did not start")

    def ping(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(64).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self, timeout: float = 10.0) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.terminate()  # SIGTERM: Redis flushes its append-only file and exits
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()

    def close(self) -> None:
        self.stop()
        with contextlib.suppress(OSError):
            self._dir.cleanup()


def unique_prefix() -> str:
    """A key prefix no other test uses, so that tests share one Redis without meeting."""
    return f"test-{uuid.uuid4().hex[:12]}:"


@contextlib.contextmanager
def redis_process(durable: bool = False) -> Iterator[RedisProcess]:
    """A started Redis, stopped (and its files removed) afterwards; skips when not installed."""
    if REDIS_SERVER is None:
        pytest.skip("redis-server is not installed (scripts/setup --dev installs it)")
    server = RedisProcess(durable=durable).start()
    try:
        yield server
    finally:
        server.close()


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisProcess]:
    """One Redis for the whole session (tests keep apart by :func:`unique_prefix`)."""
    with redis_process() as server:
        yield server
