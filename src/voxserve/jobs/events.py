"""Progress notifications for the job event streams (SSE): the latest state of each job."""

from __future__ import annotations

import asyncio
from collections import defaultdict

from voxserve.jobs.model import Job


class JobEvents:
    """Subscribers get the latest :class:`Job` after each change; a slow one skips states."""

    def __init__(self) -> None:
        self._subscribers: defaultdict[str, set[asyncio.Queue[Job]]] = defaultdict(set)

    def subscribe(self, job_id: str) -> asyncio.Queue[Job]:
        queue: asyncio.Queue[Job] = asyncio.Queue(maxsize=1)
        self._subscribers[job_id].add(queue)
        return queue

    def unsubscribe(self, job_id: str, queue: asyncio.Queue[Job]) -> None:
        subscribers = self._subscribers.get(job_id)
        if subscribers is not None:
            subscribers.discard(queue)
            if not subscribers:
                del self._subscribers[job_id]

    def publish(self, job: Job) -> None:
        for queue in self._subscribers.get(job.id, ()):
            if queue.full():  # only the newest state matters
                queue.get_nowait()
            queue.put_nowait(job)
