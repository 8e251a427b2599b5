"""The data directory's disk fills up under a running server, then space comes back."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.faults.disks import FillableDisk
from tests.faults.support import ESPEAK, chapter, submit, text, wait_log
from tests.support.jobs import job_view, wait_job
from tests.support.server import ServerProcess


@pytest.fixture
def disk(tmp_path: Path) -> Iterator[FillableDisk]:
    disk = FillableDisk(tmp_path / "data", size_mb=64)
    yield disk
    disk.close()


def test_full_disk_refuses_new_jobs_keeps_serving_and_loses_no_job(
    disk: FillableDisk, tmp_path: Path
) -> None:
    log = tmp_path / "server.log"
    env = {**ESPEAK, "VOXSERVE_DATA_DIR": str(disk.path), "VOXSERVE_CACHE_DISK_BYTES": "8000000"}
    server = ServerProcess(env, log=log).start()
    try:
        assert server.process is not None
        # About 40 units (7 s of audio each, 14 MB), then the file as large.
        accepted = submit(server, {"text": chapter(1000), "format": "wav"}).json()
        disk.fill(server.process.pid)

        # Interactive synthesis does not need the disk: the cache skips its writes.
        for _ in range(3):
            r = httpx.post(f"{server.url}/v1/tts", json={"text": text()}, timeout=30)
            assert r.status_code == 200, r.text
        # New jobs: stored while SQLite still has allocated pages to spare, then a clear
        # refusal with Retry-After (never a 500). Padding makes each row large.
        accepted_later, refused = _submit_until_refused(server)
        assert refused.status_code in (503, 507), refused.text
        assert refused.json()["error"]["code"] in ("storage_full", "storage_unavailable")
        assert int(refused.headers["retry-after"]) >= 1
        # The accepted job waits instead of failing.
        if disk.tmpfs:  # under RLIMIT_FSIZE the server cannot write its log either
            wait_log(log, f"job {accepted['id']} paused: storage_")
        _wait_stalled(server, accepted["id"])

        disk.free()
        done = wait_job(server, accepted["id"], timeout=60)
        assert done["status"] == "succeeded", done
        audio = httpx.get(f"{server.url}/v1/jobs/{accepted['id']}/audio", timeout=30)
        assert audio.status_code == 200 and audio.content[:4] == b"RIFF"
        assert done["audio"]["bytes"] == len(audio.content)
        for job_id in accepted_later:
            assert wait_job(server, job_id)["status"] == "succeeded"
        later = submit(server, {"text": text()})
        assert later.status_code == 202, later.text
        assert wait_job(server, later.json()["id"])["status"] == "succeeded"
    finally:
        server.stop()


def _submit_until_refused(server: ServerProcess) -> tuple[list[str], httpx.Response]:
    """Submit padded one-sentence jobs until one is refused; the ids of those accepted."""
    accepted: list[str] = []
    for _ in range(60):
        r = submit(server, {"text": text(1) + " " * 100_000})
        if r.status_code != 202:
            return accepted, r
        accepted.append(r.json()["id"])
    raise AssertionError("a full disk still accepted 6 MB of jobs")


def _wait_stalled(server: ServerProcess, job_id: str, quiet: float = 3.0) -> None:
    """Wait until the job, unfinished, has saved no unit for ``quiet`` seconds."""
    deadline = time.monotonic() + 30
    last, since = -1, time.monotonic()
    while time.monotonic() - since < quiet:
        view = job_view(server, job_id)
        assert view["status"] in ("queued", "running"), view
        assert time.monotonic() < deadline, f"job {job_id} kept going on a full disk"
        if view["progress"]["units_done"] != last:
            last, since = view["progress"]["units_done"], time.monotonic()
        time.sleep(0.2)
