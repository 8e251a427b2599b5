"""Job queues: claim, ack, release on both backends; claims that lapse and are taken over."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tests.jobs.conftest import redis_settings
from tests.support.redis import RedisProcess
from voxserve.jobs.model import Job, new_job_id
from voxserve.jobs.queue import EmbeddedJobQueue, JobQueue
from voxserve.jobs.redis_queue import RedisJobQueue
from voxserve.jobs.redis_store import RedisJobStore
from voxserve.jobs.sqlite import SqliteJobStore
from voxserve.types import SynthesisRequest

QueueOpener = Callable[[], Awaitable[JobQueue]]


def _job() -> Job:
    return Job(id=new_job_id(), request=SynthesisRequest(text="你好。"))


@pytest.fixture(params=["embedded", "redis"])
def open_queue(request: pytest.FixtureRequest, tmp_path: Path) -> QueueOpener:
    """Opens the backend's queue (and store) on the same data each time it is called."""
    settings = (
        redis_settings(request.getfixturevalue("redis_server"), tmp_path)
        if request.param == "redis"
        else None
    )

    async def opener() -> JobQueue:
        queue: JobQueue
        if settings is None:
            queue = EmbeddedJobQueue(await SqliteJobStore.open(tmp_path))
        else:
            queue = RedisJobQueue(await RedisJobStore.open(settings, tmp_path), settings)
        await queue.start()
        return queue

    return opener


async def _close(queue: JobQueue) -> None:
    await queue.store.close()  # type: ignore[attr-defined]


def test_jobs_come_out_in_order_and_release_puts_one_back(
    open_queue: QueueOpener,
) -> None:
    async def scenario() -> None:
        queue = await open_queue()
        jobs = [_job() for _ in range(3)]
        for job in jobs:
            await queue.submit(job)
        first = await queue.claim()
        assert first.job_id == jobs[0].id
        assert await queue.keep(first)
        await queue.release(first)  # paused: back of the queue
        second, third, again = [await queue.claim() for _ in range(3)]
        assert [c.job_id for c in (second, third, again)] == [jobs[1].id, jobs[2].id, jobs[0].id]
        for claim in (second, third, again):
            await queue.ack(claim)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.3):
                await queue.claim()
        await _close(queue)

    asyncio.run(scenario())


def test_unfinished_jobs_are_delivered_again_after_a_restart(
    open_queue: QueueOpener,
) -> None:
    """A claimed job that is never acked (its server died) comes back."""

    async def scenario() -> None:
        dead = await open_queue()
        job = _job()
        await dead.submit(job)
        assert (await dead.claim()).job_id == job.id
        # The embedded queue delivers it again at the next start; the Redis queue once the
        # dead consumer's claim has been idle for job_claim_idle_s (here: shortened below).
        await _close(dead)
        fresh = await open_queue()
        if isinstance(fresh, RedisJobQueue):
            fresh.idle_ms = 200
        async with asyncio.timeout(5):
            claim = await fresh.claim()
        assert claim.job_id == job.id
        await fresh.ack(claim)
        await _close(fresh)

    asyncio.run(scenario())


def test_live_claims_are_kept_and_idle_ones_taken_over(
    redis_server: RedisProcess, tmp_path: Path
) -> None:
    settings = redis_settings(redis_server, tmp_path, job_claim_idle_s=0.3)

    async def scenario() -> None:
        store = await RedisJobStore.open(settings, tmp_path)
        a = RedisJobQueue(store, settings, consumer="a")
        b = RedisJobQueue(store, settings, consumer="b")
        job = _job()
        await a.submit(job)
        claim = await a.claim()
        for _ in range(4):  # a keeps its claim alive: b finds nothing for longer than the idle
            await asyncio.sleep(0.15)
            assert await a.keep(claim)
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(0.1):
                await b.claim()
        # a stalls: its claim goes idle and b takes the job over.
        async with asyncio.timeout(3):
            taken = await b.claim()
        assert taken == claim
        assert not await a.keep(claim)  # a learns it lost the job...
        await a.release(claim)  # ...and cannot give it back behind b's back
        assert await store.client.xlen(a.stream) == 1
        assert await b.keep(taken)
        await b.ack(taken)
        assert await store.client.xlen(a.stream) == 0
        await store.close()

    asyncio.run(scenario())
