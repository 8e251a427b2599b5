"""Workers SIGKILLed again and again under load: clear answers, a full pool after, no job lost."""

from __future__ import annotations

import asyncio
import os
import random
import signal
import threading
import time
from collections import Counter
from pathlib import Path

import httpx

from tests.faults.support import ESPEAK, chapter, metric, submit, text
from tests.support.jobs import wait_job
from tests.support.server import ServerProcess

KILLS = 4
KILL_EVERY_S = 1.0
STORM_MAX_S = 90.0
WORKERS = 3
CLIENTS = 4


def _killer(server: ServerProcess, done: threading.Event, killed: list[int]) -> None:
    """SIGKILL a random worker every KILL_EVERY_S while another one is alive, KILLS times.

    A replacement takes seconds to load its engines (more on a busy machine): killing the last
    worker as well would leave nothing to measure but 503s (the test kills every worker at
    once at the end instead).
    """
    rng = random.Random(8)
    deadline = time.monotonic() + STORM_MAX_S
    try:
        while len(killed) < KILLS and time.monotonic() < deadline:
            time.sleep(KILL_EVERY_S)
            pids = httpx.get(f"{server.url}/readyz", timeout=10).json()["worker_pids"]
            if len(pids) >= 2:
                pid = rng.choice(pids)
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
    finally:
        done.set()  # the clients stop even if this thread fails


async def _clients(server: ServerProcess, done: threading.Event) -> list[httpx.Response]:
    """CLIENTS closed loops of distinct three-sentence requests until ``done``."""
    replies: list[httpx.Response] = []
    async with httpx.AsyncClient(base_url=server.url, timeout=30) as client:

        async def loop() -> None:
            while not done.is_set():
                replies.append(await client.post("/v1/tts", json={"text": text(3)}))

        await asyncio.gather(*(loop() for _ in range(CLIENTS)))
    return replies


def test_repeated_worker_kills_under_load(tmp_path: Path) -> None:
    env = {**ESPEAK, "VOXSERVE_CACHE_BACKEND": "off"}
    server = ServerProcess(env, workers=WORKERS, log=tmp_path / "server.log").start()
    try:
        before = submit(server, {"text": chapter(800)}).json()["id"]
        done, killed = threading.Event(), list[int]()
        killer = threading.Thread(target=_killer, args=(server, done, killed))
        killer.start()
        try:
            during = submit(server, {"text": chapter(300)})
            replies = asyncio.run(_clients(server, done))
        finally:
            killer.join()

        statuses = Counter(r.status_code for r in replies)
        assert set(statuses) <= {200, 503}, statuses
        assert statuses[200] > 0, statuses
        for r in replies:
            if r.status_code == 503:
                assert r.json()["error"]["code"] == "unavailable"
                assert int(r.headers["retry-after"]) >= 1
        assert len(killed) == KILLS, killed

        _wait_full_pool(server, killed)
        _kill_all(server, killed)
        _wait_full_pool(server, killed)
        assert metric(server, "voxserve_worker_restarts_total") >= len(killed)
        # Accepted jobs are never lost to dead workers: they wait and carry on.
        assert during.status_code == 202, during.text
        for job_id in (before, during.json()["id"]):
            assert wait_job(server, job_id, timeout=60)["status"] == "succeeded"
        ok = httpx.post(f"{server.url}/v1/tts", json={"text": text()}, timeout=30)
        assert ok.status_code == 200
    finally:
        server.stop()


def _wait_full_pool(server: ServerProcess, killed: list[int], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready = httpx.get(f"{server.url}/readyz", timeout=10)
        pids = ready.json()["worker_pids"]
        if ready.status_code == 200 and len(pids) == WORKERS and not set(pids) & set(killed):
            return
        time.sleep(0.2)
    raise AssertionError(f"the pool is not back to {WORKERS} workers: {ready.json()}")


def _kill_all(server: ServerProcess, killed: list[int]) -> None:
    """Kill every worker at once: requests meanwhile wait for a replacement or get a 503."""
    pids = httpx.get(f"{server.url}/readyz", timeout=10).json()["worker_pids"]
    for pid in pids:
        os.kill(pid, signal.SIGKILL)
    killed.extend(pids)
    for _ in range(3):
        r = httpx.post(f"{server.url}/v1/tts", json={"text": text()}, timeout=30)
        assert r.status_code in (200, 503), r.text
