"""Admission, fair dispatch, retries and cancellation over the worker pool.

Requests are admitted when the wait that the work already queued would add to them is under
``max_queue_wait_s``; units go to free workers round-robin between requests (a long text does not
hold back short ones); a unit whose worker dies is retried once; a request that ends early (client
gone, deadline) drops its queued units.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections import deque
from collections.abc import AsyncIterator

import numpy as np

from voxserve.errors import OverloadedError, UnavailableError, VoxError, error_class
from voxserve.metrics import Metrics
from voxserve.pipeline import SynthesisPlan
from voxserve.scheduler.pool import Worker, WorkerPool
from voxserve.scheduler.protocol import Failed, Message, Render, Rendered
from voxserve.scheduler.tickets import Ticket, UnitJob
from voxserve.settings import Settings
from voxserve.types import Voice

MAX_ATTEMPTS = 2
_EMA = 0.2


class WorkerReportedError(VoxError):
    """A domain error raised inside a worker, carried back with its code and its kind."""

    def __init__(self, code: str, message: str, param: str | None) -> None:
        super().__init__(message, param=param)
        self.code = code
        self.kind = error_class(code)


class Scheduler:
    """Runs synthesis plans on a :class:`WorkerPool`: create, ``await start()``, use, close."""

    def __init__(self, settings: Settings, metrics: Metrics) -> None:
        self.settings = settings
        self.metrics = metrics
        self.pool = WorkerPool(settings, settings.workers, self)
        self.seconds_per_char = settings.initial_seconds_per_char
        self._free: list[Worker] = []
        self._round: deque[Ticket] = deque()
        self._tickets: set[Ticket] = set()
        self._draining = False
        self._idle = asyncio.Event()

    async def start(self) -> None:
        await self.pool.start()

    @property
    def ready(self) -> bool:
        return self.pool.ready and not self._draining

    @property
    def voices(self) -> tuple[Voice, ...]:
        return self.pool.voices

    # -- admission -------------------------------------------------------------------------

    def estimated_wait(self, chars: int) -> float:
        """Seconds the queued work would add to a new request of ``chars`` characters.

        Under round-robin sharing, each queued request delays the new one by at most as much work
        as the new one has itself.
        """
        ahead = sum(min(t.remaining_chars, chars) for t in self._tickets)
        return ahead * self.seconds_per_char / max(1, self.settings.workers)

    def _admit(self, plan: SynthesisPlan) -> Ticket:
        if self._draining or not self.pool.workers:
            self.metrics.rejections.labels("unavailable").inc()
            raise UnavailableError("the service is not ready", retry_after=1.0)
        chars = sum(len(u.text) for u in plan.units)
        wait = self.estimated_wait(chars)
        limit = self.settings.max_queue_wait_s
        if wait > limit or len(self._tickets) >= self.settings.max_queued_requests:
            self.metrics.rejections.labels("overloaded").inc()
            retry = max(1.0, math.ceil(wait - limit + 1))
            raise OverloadedError(
                f"the service is busy (estimated wait {wait:.1f} s); retry later", retry_after=retry
            )
        loop = asyncio.get_running_loop()
        ticket = Ticket(plan, loop.time() + self.settings.request_timeout_s)
        self._tickets.add(ticket)
        self._idle.clear()
        self._round.append(ticket)
        return ticket

    @contextlib.asynccontextmanager
    async def submit(self, plan: SynthesisPlan) -> AsyncIterator[Ticket]:
        """Admit ``plan`` (or raise OverloadedError/UnavailableError) and run it.

        Iterate the ticket for each unit's samples in order; leaving the block early drops the
        units still queued.
        """
        ticket = self._admit(plan)
        self._update_gauges()
        self._dispatch()
        reason = "cancelled"
        try:
            yield ticket
            reason = "unused"
        except VoxError as exc:
            reason = exc.code
            raise
        finally:
            self._release(ticket, reason)

    def _release(self, ticket: Ticket, reason: str) -> None:
        dropped = ticket.drop_pending()
        if dropped:
            self.metrics.dropped_units.labels(reason).inc(dropped)
        self._tickets.discard(ticket)
        if not self._tickets:
            self._idle.set()
        with contextlib.suppress(ValueError):
            self._round.remove(ticket)
        self._update_gauges()

    # -- dispatch --------------------------------------------------------------------------

    def _next_job(self) -> UnitJob | None:
        while self._round:
            ticket = self._round[0]
            job = ticket.next_pending()
            if ticket.pending:
                self._round.rotate(-1)
            else:
                self._round.popleft()
            if job is not None:
                return job
        return None

    def _dispatch(self) -> None:
        while self._free:
            job = self._next_job()
            if job is None:
                break
            worker = self._free.pop()
            worker.job = job
            job.attempts += 1
            job.started = asyncio.get_running_loop().time()
            try:
                worker.send(Render(job.id, job.task))
            except (UnavailableError, ConnectionError):
                self._requeue(job)  # the pool will report the worker lost
        self._update_gauges()

    def _requeue(self, job: UnitJob) -> None:
        ticket = job.ticket
        if ticket.closed or job.future.done():
            return
        ticket.pending.appendleft(job)
        if ticket not in self._round:
            self._round.appendleft(ticket)

    def _update_gauges(self) -> None:
        self.metrics.queue_depth.set(sum(len(t.pending) for t in self._tickets))
        self.metrics.queued_requests.set(len(self._tickets))
        self.metrics.workers.set(len(self.pool.workers))
        self.metrics.busy_workers.set(sum(1 for w in self.pool.workers if w.job is not None))

    # -- pool events -----------------------------------------------------------------------

    def worker_ready(self, worker: Worker) -> None:
        self._free.append(worker)
        self._dispatch()

    def worker_message(self, worker: Worker, message: Message) -> None:
        job = worker.job
        if not isinstance(job, UnitJob) or not isinstance(message, Rendered | Failed):
            return
        worker.job = None
        self._free.append(worker)
        if isinstance(message, Rendered):
            self._complete(job, message)
        elif not job.future.done():
            job.future.set_exception(
                WorkerReportedError(message.code, message.message, message.param)
            )
        self._dispatch()

    def _complete(self, job: UnitJob, message: Rendered) -> None:
        pcm = np.frombuffer(message.samples, dtype=np.float32)
        wall = asyncio.get_running_loop().time() - job.started
        audio = len(pcm) / job.task.sample_rate
        self.metrics.synthesis_seconds.inc(wall)
        self.metrics.audio_seconds.inc(audio)
        if audio > 0:
            self.metrics.rtf.observe(wall / audio)
        if job.chars:
            self.seconds_per_char += _EMA * (wall / job.chars - self.seconds_per_char)
        if not job.future.done():
            job.future.set_result(pcm)

    def worker_lost(self, worker: Worker) -> None:
        self.metrics.worker_restarts.inc()
        if worker in self._free:
            self._free.remove(worker)
        job = worker.job
        worker.job = None
        if isinstance(job, UnitJob) and not job.future.done():
            if job.attempts < MAX_ATTEMPTS and not job.ticket.closed:
                self.metrics.retried_units.inc()
                self._requeue(job)
            else:
                job.future.set_exception(
                    UnavailableError("a worker died twice on this text", retry_after=1.0)
                )
        self._dispatch()

    # -- shutdown --------------------------------------------------------------------------

    async def close(self, drain_timeout: float) -> None:
        """Refuse new work, let admitted requests finish for up to ``drain_timeout``, stop."""
        self._draining = True
        loop = asyncio.get_running_loop()
        end = loop.time() + drain_timeout
        if self._tickets:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(drain_timeout):
                    await self._idle.wait()
        await self.pool.close(grace=max(0.5, end - loop.time()))
