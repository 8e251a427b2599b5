"""The JobQueue protocol: how jobs reach the runner that works on them, and the embedded queue.

A runner *claims* a job, works on it, and *acks* it when the job has ended (succeeded, failed or
cancelled). A claim that is never acked (its server died) is delivered again: by the next start
for the embedded queue, by another replica after ``job_claim_idle_s`` for the Redis one
(:mod:`voxserve.jobs.redis_queue`). Delivery is at least once; the store's idempotent unit
saves make a job run twice produce its audio once.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Protocol

from voxserve.jobs.base import JobStore
from voxserve.jobs.model import Job


@dataclass(frozen=True)
class Claim:
    """One delivery of a job to this runner."""

    job_id: str
    token: str = ""
    """The queue's handle of this delivery (a stream entry id for Redis)."""


class JobQueue(Protocol):
    keep_interval: float | None
    """Seconds between :meth:`keep` calls while a claimed job runs (None: claims never lapse)."""

    async def start(self) -> None:
        """Prepare the queue (the embedded one queues the jobs a previous run left unfinished)."""
        ...

    async def submit(self, job: Job) -> None:
        """Record ``job`` in the store and queue it, as one step where the backend allows."""
        ...

    async def claim(self) -> Claim:
        """The next job to work on (waits for one)."""
        ...

    async def keep(self, claim: Claim) -> bool:
        """Renew ``claim`` so that no other runner takes the job over; False when it is no
        longer ours (another replica took it over while this one was stalled)."""
        ...

    async def ack(self, claim: Claim) -> None:
        """The claimed job has ended: never deliver it again."""
        ...

    async def release(self, claim: Claim) -> None:
        """Give the claimed job back, at the end of the queue, for any runner to claim again."""
        ...


class EmbeddedJobQueue:
    """One server's queue in memory; the store's unfinished jobs are queued again at start."""

    keep_interval: float | None = None

    def __init__(self, store: JobStore) -> None:
        self.store = store
        self._queue: asyncio.Queue[str] = asyncio.Queue()

    async def start(self) -> None:
        for job in await self.store.unfinished():
            self._queue.put_nowait(job.id)

    async def submit(self, job: Job) -> None:
        await self.store.create(job)
        self._queue.put_nowait(job.id)

    async def claim(self) -> Claim:
        return Claim(await self._queue.get())

    async def keep(self, claim: Claim) -> bool:
        return True

    async def ack(self, claim: Claim) -> None:
        pass

    async def release(self, claim: Claim) -> None:
        self._queue.put_nowait(claim.job_id)
