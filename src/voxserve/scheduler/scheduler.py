"""Admission, fair dispatch, retries and cancellation over the worker pool.

Requests are admitted when the wait that the work already queued would add to them is under
``max_queue_wait_s``; units go to free workers round-robin between requests (a long text does not
hold back short ones); a unit whose worker dies is retried once; a request that ends early (client
gone, deadline) drops its queued units.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import math
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import replace

from voxserve.cache.keys import cache_key
from voxserve.cache.service import CachedAudio
from voxserve.errors import OverloadedError, UnavailableError, VoxError, error_class
from voxserve.metrics import Metrics
from voxserve.pipeline import SynthesisPlan, UnitTask
from voxserve.scheduler.pool import Worker, WorkerPool
from voxserve.scheduler.protocol import Failed, Message, Render, Rendered
from voxserve.scheduler.tickets import Source, Ticket, UnitJob
from voxserve.settings import Settings
from voxserve.timing import Timed
from voxserve.types import Voice

MAX_ATTEMPTS = 2
DEADLINE_SHARE = 0.8
"""Admission plans for requests to finish within this share of their deadline (estimates err)."""
_EMA = 0.2


def unit_key(task: UnitTask) -> str:
    """The cache key of a unit's samples and marks: everything that shapes them (its place
    does not). Entries hold a packed :class:`~voxserve.timing.Timed`."""
    return cache_key("unit-timed", replace(task, index=0))


class WorkerReportedError(VoxError):
    """A domain error raised inside a worker, carried back with its code and its kind."""

    def __init__(self, code: str, message: str, param: str | None) -> None:
        super().__init__(message, param=param)
        self.code = code
        self.kind = error_class(code)


class Scheduler:
    """Runs synthesis plans on a :class:`WorkerPool`: create, ``await start()``, use, close."""

    def __init__(
        self, settings: Settings, metrics: Metrics, cache: CachedAudio | None = None
    ) -> None:
        self.settings = settings
        self.metrics = metrics
        self.cache = cache
        self.pool = WorkerPool(settings, settings.workers, self, settings.job_workers)
        self.seconds_per_char = settings.initial_seconds_per_char
        self.job_workers = settings.job_workers
        self._free: list[Worker] = []
        self._round: deque[Ticket] = deque()
        self._background_round: deque[Ticket] = deque()
        self._tickets: set[Ticket] = set()
        self._background: set[Ticket] = set()
        self._inflight: dict[str, UnitJob] = {}
        self._writes: set[asyncio.Task[None]] = set()
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
        """Seconds the queued interactive work would add to a new request of ``chars`` characters.

        Under round-robin sharing, each queued request delays the new one by at most as much work
        as the new one has itself. Background work yields, so it does not count.
        """
        return self._estimate().delay(self._work(chars))

    @property
    def _seconds_per_char_of_pool(self) -> float:
        return self.seconds_per_char / max(1, self.settings.workers)

    def _work(self, chars: int) -> float:
        """Seconds of the whole pool's time that ``chars`` characters take."""
        return chars * self._seconds_per_char_of_pool

    def _estimate(self) -> _SharingEstimate:
        return _SharingEstimate([self._work(t.remaining_chars) for t in self._tickets])

    def _check_capacity(self, chars: int) -> None:
        """Refuse (429) a request that would wait too long, or finish after its deadline, or make
        an admitted request finish after its own."""
        if len(self._tickets) >= self.settings.max_queued_requests:
            self._refuse("the service is busy (too many requests queued); retry later", 1.0)
        estimate, mine = self._estimate(), self._work(chars)
        wait = estimate.delay(mine)
        # A request too long for its deadline even alone is not refused: retrying would not help.
        late = wait + mine - DEADLINE_SHARE * self.settings.request_timeout_s if wait else 0.0
        over = max(
            wait - self.settings.max_queue_wait_s, late, self._deadline_overrun(estimate, mine)
        )
        if over > 0:
            self._refuse(f"the service is busy (estimated wait {wait:.1f} s); retry later", over)

    def _deadline_overrun(self, estimate: _SharingEstimate, added: float) -> float:
        """How far past its deadline share the most delayed admitted request would finish if
        ``added`` seconds of work joined (negative: every one stays in time)."""
        now = asyncio.get_running_loop().time()
        worst = -math.inf
        for ticket in self._tickets:
            if ticket.deadline is None:
                continue
            own = self._work(ticket.remaining_chars)
            finish = estimate.delay(own) + min(added, own)
            worst = max(worst, finish - DEADLINE_SHARE * (ticket.deadline - now))
        return worst

    def _refuse(self, message: str, over: float) -> None:
        self.metrics.rejections.labels("overloaded").inc()
        raise OverloadedError(message, retry_after=max(1.0, math.ceil(over + 1)))

    async def _admit(self, plan: SynthesisPlan, background: bool) -> Ticket:
        self._check_available()
        # With the cache off, nothing is reused: not even a render in flight.
        keys = [unit_key(t) if self.cache else None for t in plan.units]
        cached = await self._lookup(keys)
        self._check_available()
        if not background:
            fresh = sum(
                len(t.text) for t, k, c in zip(plan.units, keys, cached, strict=True) if c is None
            )
            self._check_capacity(fresh)
        loop = asyncio.get_running_loop()
        deadline = None if background else loop.time() + self.settings.request_timeout_s
        ticket = Ticket(plan, [], deadline, background=background)
        for task, key, unit in zip(plan.units, keys, cached, strict=True):
            self._attach(ticket, task, key, unit)
        (self._background if background else self._tickets).add(ticket)
        self._idle.clear()
        if ticket.pending:
            (self._background_round if background else self._round).append(ticket)
        return ticket

    def _check_available(self) -> None:
        if self._draining or not self.pool.workers:
            self.metrics.rejections.labels("unavailable").inc()
            raise UnavailableError("the service is not ready", retry_after=1.0)

    async def _lookup(self, keys: list[str | None]) -> list[Timed | None]:
        if self.cache is None:
            return [None] * len(keys)
        found: list[Timed | None] = []
        for key in keys:
            if key is None or key in self._inflight:
                found.append(None)
                continue
            hit = await self.cache.lookup(key)
            found.append(None if hit is None else Timed.unpack(hit[0]))
        return found

    def _attach(
        self, ticket: Ticket, task: UnitTask, key: str | None, cached: Timed | None
    ) -> None:
        """Give ``ticket`` a job for ``task``: done (from the cache), shared, or a new one."""
        shared = None if key is None else self._inflight.get(key)
        if shared is not None:
            job, source = shared, Source.SHARED
        elif cached is not None:
            job, source = UnitJob(task, asyncio.get_running_loop().create_future()), Source.CACHE
            job.future.set_result(cached)
        else:
            job = UnitJob(task, asyncio.get_running_loop().create_future(), key)
            if key is not None:
                self._inflight[key] = job
            source = Source.RENDERED
        job.tickets.append(ticket)
        ticket.jobs.append(job)
        ticket.sources.append(source)
        # An interactive request that joins a waiting background unit queues it as its own too.
        joins = source is Source.SHARED and not ticket.background and not job.running
        if source is Source.RENDERED or joins:
            ticket.pending.append(job)

    @contextlib.asynccontextmanager
    async def submit(self, plan: SynthesisPlan) -> AsyncIterator[Ticket]:
        """Admit ``plan`` (or raise OverloadedError/UnavailableError) and run it.

        Iterate the ticket for each unit's samples in order; leaving the block early drops the
        units still queued.
        """
        async with self._run(plan, background=False) as ticket:
            yield ticket

    @contextlib.asynccontextmanager
    async def submit_background(self, plan: SynthesisPlan) -> AsyncIterator[Ticket]:
        """Run ``plan`` at background priority: no admission limit and no deadline; its units go
        to the job workers only (started on first use, at a lower CPU priority than the others),
        so interactive requests keep every other worker and win the CPU when both want it."""
        async with self._run(plan, background=True) as ticket:
            yield ticket

    @contextlib.asynccontextmanager
    async def _run(self, plan: SynthesisPlan, background: bool) -> AsyncIterator[Ticket]:
        if background:
            await self.pool.ensure_background()
        ticket = await self._admit(plan, background)
        self._count_sources(ticket)
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

    def _count_sources(self, ticket: Ticket) -> None:
        for source in ticket.sources:
            self.metrics.units.labels(source.value).inc()

    def _release(self, ticket: Ticket, reason: str) -> None:
        dropped, orphans = ticket.release()
        if dropped:
            self.metrics.dropped_units.labels(reason).inc(dropped)
        for job in orphans:
            if not job.running:  # a unit on a worker finishes and is cached for the next asker
                self._forget(job)
                job.future.cancel()
        self._tickets.discard(ticket)
        self._background.discard(ticket)
        if not self._tickets and not self._background:
            self._idle.set()
        for queue in (self._round, self._background_round):
            with contextlib.suppress(ValueError):
                queue.remove(ticket)
        self._update_gauges()

    def _forget(self, job: UnitJob) -> None:
        if job.key is not None and self._inflight.get(job.key) is job:
            del self._inflight[job.key]

    # -- dispatch --------------------------------------------------------------------------

    @staticmethod
    def _take(queue: deque[Ticket]) -> UnitJob | None:
        while queue:
            ticket = queue[0]
            job = ticket.next_pending()
            if ticket.pending:
                queue.rotate(-1)
            else:
                queue.popleft()
            if job is not None:
                return job
        return None

    def _dispatch(self) -> None:
        for worker in list(self._free):
            job = self._take(self._background_round if worker.background else self._round)
            if job is None:
                continue
            self._free.remove(worker)
            worker.job = job
            job.attempts += 1
            job.running = True
            job.started = asyncio.get_running_loop().time()
            try:
                ticket = job.ticket
                worker.send(Render(job.id, job.task, ticket.request_id if ticket else "-"))
            except (UnavailableError, ConnectionError):
                self._requeue(job)  # the pool will report the worker lost
        self._update_gauges()

    def _requeue(self, job: UnitJob) -> None:
        job.running = False
        ticket = job.ticket
        if ticket is None or job.future.done():
            return
        ticket.pending.appendleft(job)
        queue = self._background_round if ticket.background else self._round
        if ticket not in queue:
            queue.appendleft(ticket)

    def _update_gauges(self) -> None:
        self.metrics.queue_depth.set(sum(len(t.pending) for t in self._tickets))
        self.metrics.queued_requests.set(len(self._tickets))
        self.metrics.background_requests.set(len(self._background))
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
        job.running = False
        self._forget(job)
        self._free.append(worker)
        if isinstance(message, Rendered):
            self._complete(job, message)
        elif not job.future.done():
            job.future.set_exception(
                WorkerReportedError(message.code, message.message, message.param)
            )
        self._dispatch()

    def _complete(self, job: UnitJob, message: Rendered) -> None:
        unit = Timed.unpack(message.unit)
        wall = asyncio.get_running_loop().time() - job.started
        audio = len(unit.pcm) / job.task.sample_rate
        self.metrics.synthesis_seconds.inc(wall)
        self.metrics.audio_seconds.inc(audio)
        if audio > 0:
            self.metrics.rtf.observe(wall / audio)
        if job.chars:
            self.seconds_per_char += _EMA * (wall / job.chars - self.seconds_per_char)
        if not job.future.done():
            job.future.set_result(unit)
        if self.cache is not None and job.key is not None:
            self._store(job.key, message.unit)

    def _store(self, key: str, samples: bytes) -> None:
        assert self.cache is not None
        task = asyncio.create_task(self.cache.store(key, samples))
        self._writes.add(task)  # a reference until done, or the task may be collected
        task.add_done_callback(self._writes.discard)

    def worker_lost(self, worker: Worker) -> None:
        self.metrics.worker_restarts.inc()
        if worker in self._free:
            self._free.remove(worker)
        job = worker.job
        worker.job = None
        if isinstance(job, UnitJob) and not job.future.done():
            job.running = False
            if job.attempts < MAX_ATTEMPTS and job.ticket is not None:
                self.metrics.retried_units.inc()
                self._requeue(job)
            else:
                self._forget(job)
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
        if self._tickets or self._background:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(drain_timeout):
                    await self._idle.wait()
        await self.pool.close(grace=max(0.5, end - loop.time()))


class _SharingEstimate:
    """Finish times under processor sharing: a request with ``w`` seconds of work left finishes
    after ``sum(min(w_j, w))`` over every request ``j`` sharing the workers (itself included)."""

    def __init__(self, work: list[float]) -> None:
        self._sorted = sorted(work)
        self._prefix = [0.0, *itertools.accumulate(self._sorted)]

    def delay(self, work: float) -> float:
        """``sum(min(w_j, work))``: how long the shared work holds up ``work`` seconds of it."""
        below = bisect.bisect_right(self._sorted, work)
        return self._prefix[below] + work * (len(self._sorted) - below)
