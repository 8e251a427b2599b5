"""Per-request bookkeeping: the units of one admitted request, and their results in order.

A :class:`UnitJob` may be shared by several tickets: identical units (same text, voices,
prosody, pause and rate) requested at the same time are rendered once (single-flight), and the
job lives while any ticket still wants it.
"""

from __future__ import annotations

import asyncio
import itertools
from collections import deque
from collections.abc import AsyncIterator, Coroutine
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from voxserve import logs
from voxserve.errors import DeadlineExceededError
from voxserve.pipeline import SynthesisPlan, UnitTask
from voxserve.timing import Timed
from voxserve.types import PCM

_job_ids = itertools.count(1)
_ticket_ids = itertools.count(1)


class Source(StrEnum):
    """Where a unit's samples came from."""

    RENDERED = "rendered"
    CACHE = "cache"
    SHARED = "shared"
    """Joined a render of the same unit that another request had in flight."""


@dataclass(eq=False)
class UnitJob:
    """One unit on its way through the pool, wanted by ``refs`` tickets."""

    task: UnitTask
    future: asyncio.Future[Timed]
    key: str | None = None
    """The unit's cache key (None: not cacheable, never shared)."""
    tickets: list[Ticket] = field(default_factory=list)
    id: int = field(default_factory=lambda: next(_job_ids))
    attempts: int = 0
    started: float = 0.0
    running: bool = False
    """On a worker now."""
    parts: list[PCM] = field(default_factory=list)
    """The unit's first samples, in order, where the worker handed them over early."""
    part_samples: int = 0
    """How many samples ``parts`` hold."""
    attempt_samples: int = 0
    """How many samples of parts the current attempt has sent (a retry sends them again)."""
    _news: asyncio.Event = field(default_factory=asyncio.Event)

    def add_part(self, pcm: PCM) -> None:
        """Keep the samples of a part that are new (a retried render repeats the first)."""
        self.attempt_samples += len(pcm)
        new = self.attempt_samples - self.part_samples
        if new <= 0:
            return
        self.parts.append(pcm[len(pcm) - new :])
        self.part_samples += new
        self._news.set()
        self._news = asyncio.Event()

    async def progress(self, seen: int) -> None:
        """Return once there are more than ``seen`` parts or the unit is done."""
        news = self._news
        if len(self.parts) > seen or self.future.done():
            return
        waiter = asyncio.ensure_future(news.wait())
        try:
            await asyncio.wait((self.future, waiter), return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()

    @property
    def chars(self) -> int:
        return len(self.task.text)

    @property
    def background(self) -> bool:
        """Only background tickets want it (it yields to interactive work)."""
        return all(t.background for t in self.tickets)

    @property
    def ticket(self) -> Ticket | None:
        """A ticket that still wants this job (for requeueing after a worker died)."""
        return next((t for t in self.tickets if not t.closed), None)


class Ticket:
    """An admitted request: its jobs in order, those still waiting, and its deadline."""

    def __init__(
        self,
        plan: SynthesisPlan,
        jobs: list[UnitJob],
        deadline: float | None,
        *,
        background: bool = False,
    ) -> None:
        self.plan = plan
        self.deadline = deadline
        self.background = background
        self.jobs = jobs
        self.sources: list[Source] = []
        self.pending: deque[UnitJob] = deque()
        self.closed = False
        self.due = float("inf") if deadline is None else deadline
        """When it is due (see :func:`voxserve.scheduler.policy.due`; set at admission)."""
        self.seq = next(_ticket_ids)
        """Admission order (ties between equal deadlines go to the older request)."""
        self.begun = False
        """Its first unit no longer goes ahead: one of its units has been sent to a worker, or
        it is not streamed (a whole file gains nothing from an early first unit)."""
        self.request_id = logs.request_id.get()
        """The request that admitted this ticket (workers' log lines carry it)."""
        self.parts = False
        """Its first unit is wanted in parts, as early as the worker can give them."""

    @property
    def order(self) -> tuple[float, int]:
        """Its place in the interactive lane: earliest due time first, then oldest first."""
        return (self.due, self.seq)

    def waiting(self) -> list[UnitJob]:
        """Its jobs still queued (neither rendered nor on a worker), in order."""
        return [j for j in self.pending if not j.future.done() and not j.running]

    def next_pending(self) -> UnitJob | None:
        while self.pending:
            job = self.pending.popleft()
            if not job.future.done() and not job.running:
                return job
        return None

    def release(self) -> tuple[int, list[UnitJob]]:
        """Let go of every job; returns how many were waiting and the jobs nobody wants now."""
        waiting = sum(1 for j in self.pending if not j.future.done() and not j.running)
        self.pending.clear()
        self.closed = True
        orphans = []
        for job in self.jobs:
            if self in job.tickets:
                job.tickets.remove(self)
                if not job.tickets and not job.future.done():
                    orphans.append(job)
        return waiting, orphans

    async def completed(self) -> AsyncIterator[tuple[int, Timed]]:
        """Each unit's position, samples and marks as soon as it is rendered, in any order."""
        waiting: dict[asyncio.Future[Timed], list[int]] = {}
        for position, job in enumerate(self.jobs):  # a repeated unit shares one job
            waiting.setdefault(job.future, []).append(position)
        while waiting:
            done, _ = await asyncio.wait(waiting, return_when=asyncio.FIRST_COMPLETED)
            for future in sorted(done, key=lambda f: waiting[f][0]):
                unit = future.result()
                for position in waiting.pop(future):
                    yield position, unit

    async def pieces(self) -> AsyncIterator[PCM]:
        """The request's samples in order, in pieces as soon as they are final: a unit's parts
        (see :attr:`parts`) as they come, then the rest of the unit."""
        for job in self.jobs:
            given = seen = 0
            while not job.future.done():
                await self._within_deadline(job.progress(seen))
                for part in job.parts[seen:]:
                    seen += 1
                    given += len(part)
                    yield part
            unit = job.future.result()
            yield unit.pcm[given:]

    async def _within_deadline(self, waiting: Coroutine[Any, Any, None]) -> None:
        try:
            async with asyncio.timeout_at(self.deadline):
                await waiting
        except TimeoutError:
            raise DeadlineExceededError("the request ran past its deadline") from None

    async def __aiter__(self) -> AsyncIterator[Timed]:
        """Each unit's samples and marks in order, as soon as it and those before it are
        ready."""
        for job in self.jobs:
            try:
                async with asyncio.timeout_at(self.deadline):
                    # Shielded: a shared job's future must survive one waiter's cancellation.
                    unit = await asyncio.shield(job.future)
            except TimeoutError:
                raise DeadlineExceededError("the request ran past its deadline") from None
            yield unit
