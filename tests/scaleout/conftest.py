"""Replicas of voxserve sharing one Redis: helpers of the scale-out tests."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import redis

from tests.support.jobs import job_view
from tests.support.redis import RedisProcess, unique_prefix
from tests.support.server import ServerProcess

ENV = {
    "VOXSERVE_ENGINES": "espeak",
    "VOXSERVE_DEFAULT_VOICE": "espeak-zh",
    "VOXSERVE_MAX_JOB_CHARS": "30000",
    "VOXSERVE_JOB_CLAIM_IDLE_S": "2",
    "VOXSERVE_REDIS_TIMEOUT_S": "0.5",
}


def replica(redis_server: RedisProcess, prefix: str, log: Path, **env: str) -> ServerProcess:
    """A voxserve server on ``redis_server`` under ``prefix`` (its own data directory)."""
    settings = {**ENV, "VOXSERVE_REDIS_URL": redis_server.url, "VOXSERVE_REDIS_PREFIX": prefix}
    return ServerProcess({**settings, **env}, workers=1, log=log)


def new_prefix() -> str:
    return unique_prefix()


def submit(server: ServerProcess, **body: Any) -> dict[str, Any]:
    r = httpx.post(f"{server.url}/v1/jobs", json=body, timeout=30)
    assert r.status_code == 202, r.text
    job: dict[str, Any] = r.json()
    return job


def wait_for_progress(server: ServerProcess, job_id: str, fraction: float) -> dict[str, Any]:
    """The job's progress once at least ``fraction`` of its units are saved."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        progress: dict[str, Any] = job_view(server, job_id)["progress"]
        total = progress["units_total"]
        if total and progress["units_done"] >= total * fraction:
            return progress
        time.sleep(0.05)
    raise AssertionError(f"job {job_id} made no progress")


def runner_of(job_id: str, *servers: tuple[ServerProcess, Path]) -> ServerProcess:
    """The replica whose log says it claimed ``job_id`` (the last one to, if several did)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = [
            (path.read_text().rfind(f"job {job_id} claimed"), server) for server, path in servers
        ]
        best = max(found, key=lambda pair: pair[0])
        if best[0] >= 0:
            return best[1]
        time.sleep(0.05)
    raise AssertionError(f"no replica claimed {job_id}")


def unit_records(redis_server: RedisProcess, prefix: str, job_id: str) -> list[tuple[int, float]]:
    """(renders, seconds) of each saved unit of ``job_id``, by index, read from Redis."""
    with redis.Redis.from_url(redis_server.url) as client:
        found: dict[bytes, bytes] = client.hgetall(f"{prefix}job:{job_id}:units")  # type: ignore[assignment]
    records = []
    for index in sorted(found, key=int):
        _chars, seconds, renders = found[index].split()
        records.append((int(renders), float(seconds)))
    return records
