"""Following a job through the HTTP API until it ends."""

from __future__ import annotations

import time
from typing import Any

import httpx

from tests.support.server import ServerProcess

FINISHED = ("succeeded", "failed", "cancelled")


def job_view(server: ServerProcess, job_id: str) -> dict[str, Any]:
    """``GET /v1/jobs/{id}``, which must answer 200."""
    r = httpx.get(f"{server.url}/v1/jobs/{job_id}", timeout=10)
    assert r.status_code == 200, r.text
    view: dict[str, Any] = r.json()
    return view


def wait_job(server: ServerProcess, job_id: str, timeout: float = 120) -> dict[str, Any]:
    """The job once it has finished (succeeded, failed or cancelled)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        view = job_view(server, job_id)
        if view["status"] in FINISHED:
            return view
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} did not finish in {timeout} s: {job_view(server, job_id)}")
