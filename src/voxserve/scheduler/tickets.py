"""Per-request bookkeeping: the units of one admitted request, and their results in order."""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from voxserve.errors import DeadlineExceededError
from voxserve.pipeline import SynthesisPlan, UnitTask
from voxserve.types import PCM

_job_ids = itertools.count(1)


@dataclass(eq=False)
class UnitJob:
    """One unit of one request, on its way through the pool."""

    ticket: Ticket
    task: UnitTask
    future: asyncio.Future[PCM]
    id: int = field(default_factory=lambda: next(_job_ids))
    attempts: int = 0
    started: float = 0.0

    @property
    def chars(self) -> int:
        return len(self.task.text)


class Ticket:
    """An admitted request: its jobs in order, those still waiting, and its deadline."""

    def __init__(self, plan: SynthesisPlan, deadline: float) -> None:
        loop = asyncio.get_running_loop()
        self.plan = plan
        self.deadline = deadline
        self.jobs = [UnitJob(self, task, loop.create_future()) for task in plan.units]
        self.pending: deque[UnitJob] = deque(self.jobs)
        self.closed = False

    @property
    def remaining_chars(self) -> int:
        """Characters not yet rendered (waiting or in flight)."""
        return sum(j.chars for j in self.jobs if not j.future.done())

    def next_pending(self) -> UnitJob | None:
        while self.pending:
            job = self.pending.popleft()
            if not job.future.done():
                return job
        return None

    def drop_pending(self) -> int:
        """Cancel every job not yet finished; returns how many were still waiting for a worker."""
        waiting = sum(1 for j in self.pending if not j.future.done())
        self.pending.clear()
        for job in self.jobs:
            if not job.future.done():
                job.future.cancel()
        self.closed = True
        return waiting

    async def __aiter__(self) -> AsyncIterator[PCM]:
        """Each unit's samples in order, as soon as it and those before it are ready."""
        for job in self.jobs:
            try:
                async with asyncio.timeout_at(self.deadline):
                    pcm = await job.future
            except TimeoutError:
                raise DeadlineExceededError("the request ran past its deadline") from None
            yield pcm
