"""A read-only data directory: the server refuses to start and says which directory and why;
a read-only cache directory alone costs only the disk cache."""

from __future__ import annotations

import asyncio
from pathlib import Path

import httpx
import pytest

from tests.faults.disks import read_only
from tests.faults.support import ESPEAK, log_text, submit, text
from tests.support.jobs import wait_job
from tests.support.server import ServerProcess
from voxserve.jobs.sqlite import SqliteJobStore


async def _previous_run(data: Path) -> None:
    """Leave what a server leaves behind: a job store with its tables."""
    store = await SqliteJobStore.open(data / "jobs")
    await store.close()


def test_read_only_data_directory_refuses_to_start_naming_it(tmp_path: Path) -> None:
    data = tmp_path / "data"
    asyncio.run(_previous_run(data))
    log = tmp_path / "server.log"
    server = ServerProcess({**ESPEAK, "VOXSERVE_DATA_DIR": str(data)}, log=log)
    with read_only(data), pytest.raises(RuntimeError, match="server exited"):
        server.start()
    output = log_text(log)
    assert f"the job store in {data / 'jobs'} cannot be written" in output
    assert "make it writable" in output
    assert server.process is not None and server.process.returncode != 0


def test_read_only_cache_directory_serves_without_the_disk_cache(tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    cache.mkdir()
    log = tmp_path / "server.log"
    with read_only(cache):
        server = ServerProcess({**ESPEAK, "VOXSERVE_CACHE_DIR": str(cache)}, log=log).start()
        try:
            said = text()
            first = httpx.post(f"{server.url}/v1/tts", json={"text": said}, timeout=30)
            assert first.status_code == 200 and first.headers["x-cache"] == "miss"
            # The memory layer still answers a repeat.
            again = httpx.post(f"{server.url}/v1/tts", json={"text": said}, timeout=30)
            assert again.status_code == 200 and again.headers["x-cache"] == "memory"
            job = submit(server, {"text": text()})
            assert job.status_code == 202
            assert wait_job(server, job.json()["id"])["status"] == "succeeded"
        finally:
            server.stop()
    assert f"disk cache write failed in {cache}" in log_text(log)
    assert not any(cache.iterdir())
