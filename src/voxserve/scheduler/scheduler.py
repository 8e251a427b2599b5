"""Admission, dispatch for goodput, retries and cancellation over the worker pool.

Interactive units go to free workers in the order of :mod:`voxserve.scheduler.policy`: each
new stream's first unit ahead (a stream admitted to wait its turn goes ahead once that keeps
every admitted request in time), then earliest due time first. A request is admitted when, under
that order and the costs the workers' renders taught (:mod:`voxserve.scheduler.costs`), it and
every admitted request finish within their deadline share, and a stream's first unit starts
within ``max_queue_wait_s``; otherwise 429 with the seconds until it would. Background (job)
units go to the job workers round-robin between jobs. A unit whose worker dies is retried once;
a request that ends early (client gone, deadline) drops its queued units.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import math
from collections import deque
from collections.abc import AsyncIterator, Callable
from dataclasses import replace

import numpy as np

from voxserve.cache.keys import cache_key
from voxserve.cache.service import CachedAudio
from voxserve.errors import OverloadedError, UnavailableError, VoxError, error_class
from voxserve.metrics import Metrics
from voxserve.pipeline import SynthesisPlan, UnitTask
from voxserve.scheduler import policy
from voxserve.scheduler.costs import CostModel, kind_of
from voxserve.scheduler.pool import Worker, WorkerPool
from voxserve.scheduler.protocol import Failed, Message, Part, Render, Rendered
from voxserve.scheduler.retry import RetryAdvisor
from voxserve.scheduler.tickets import Source, Ticket, UnitJob
from voxserve.settings import Settings
from voxserve.timing import Timed
from voxserve.types import Voice

MAX_ATTEMPTS = 2
MARGIN = policy.Margin(share=0.8, reserve=1.0)
"""Admission plans for requests to finish within 80% of the time left to their deadline, and
at least a second before it (estimates err)."""
OVERDUE_SHARE = 0.25
"""A unit running past its estimate is assumed to need this share of the estimate more."""


def unit_key(task: UnitTask) -> str:
    """The cache key of a unit's samples and marks: everything that shapes them (its place
    does not). Entries hold a packed :class:`~voxserve.timing.Timed`."""
    return cache_key("unit-timed", replace(task, index=0))


def _loop_time() -> float:
    return asyncio.get_running_loop().time()


class WorkerReportedError(VoxError):
    """A domain error raised inside a worker, carried back with its code and its kind."""

    def __init__(self, code: str, message: str, param: str | None) -> None:
        super().__init__(message, param=param)
        self.code = code
        self.kind = error_class(code)


def _wants_parts(job: UnitJob) -> bool:
    """Whether a request takes ``job`` in parts: it is the first unit of a ticket that asked."""
    return any(ticket.parts and ticket.jobs[:1] == [job] for ticket in job.tickets)


class Scheduler:
    """Runs synthesis plans on a :class:`WorkerPool`: create, ``await start()``, use, close."""

    def __init__(
        self,
        settings: Settings,
        metrics: Metrics,
        cache: CachedAudio | None = None,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.settings = settings
        self.clock = clock or _loop_time
        """Seconds on the event loop's clock (deadlines are awaited on it); tests simulate it."""
        self.metrics = metrics
        self.cache = cache
        self.pool = WorkerPool(settings, settings.workers, self, settings.job_workers)
        self.costs = CostModel(settings.initial_seconds_per_char)
        self._retry = RetryAdvisor(self.clock)
        self.job_workers = settings.job_workers
        self._free: list[Worker] = []
        self._fresh: deque[Ticket] = deque()
        """Interactive tickets none of whose units has started, oldest first."""
        self._in_turn: deque[Ticket] = deque()
        """Streams admitted to wait their turn (their first unit going ahead would have made
        an admitted request late), oldest first; each goes ahead once it no longer would."""
        self._lane: list[Ticket] = []
        """Every admitted interactive ticket, earliest due time first."""
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

    @property
    def seconds_per_char(self) -> float:
        """Learned wall seconds per character of one worker, across every kind of unit."""
        return self.costs.seconds_per_char

    def _load(self, tasks: list[UnitTask], begun: bool, deadline: float | None) -> policy.Load:
        costs = [self.costs.cost(t) for t in tasks]
        first = costs[0] if costs and not begun else 0.0
        return policy.Load(deadline, first, sum(costs) - first, max(costs, default=0.0))

    def _loads(self) -> list[policy.Load]:
        """What every admitted interactive request still has waiting, in service order."""
        return [self._load([j.task for j in t.waiting()], t.begun, t.deadline) for t in self._lane]

    def _running(self) -> float:
        """Seconds of work left on the interactive workers (estimated)."""
        now = self.clock()
        left = 0.0
        for worker in self.pool.interactive:
            job = worker.job
            if isinstance(job, UnitJob):
                cost = self.costs.cost(job.task)
                # A unit past its estimate is still running: count a quarter of it, not nothing.
                left += max(OVERDUE_SHARE * cost, cost - (now - job.started))
        return left

    def _check_capacity(self, tasks: list[UnitTask], stream: bool) -> tuple[bool, float]:
        """Refuse (429) a request that would finish after its deadline share or make an
        admitted request finish after its own, or a stream whose first unit would wait too
        long. Returns whether a stream's first unit goes ahead (when that keeps every admitted
        request in time; otherwise it waits its turn, as a whole file always does), and the
        request's due time."""
        if len(self._tickets) >= self.settings.max_queued_requests:
            self._refuse("the service is busy (too many requests queued); retry later", 1.0)
        now, workers, running = self.clock(), self.settings.workers, self._running()
        loads = self._loads()
        deadline = now + self.settings.request_timeout_s
        in_turn_load = self._load(tasks, True, deadline)
        due = policy.due(now, workers, in_turn_load)
        place, in_turn = policy.place_for(
            now, workers, running, loads, in_turn_load, MARGIN, self._place(due)
        )
        due = self._due_at(place, due)
        if not stream:
            if in_turn.overrun > 0:
                self._busy(in_turn, in_turn.overrun)
            return False, due
        first = self._load(tasks, False, deadline)
        ahead = policy.judge(now, workers, running, loads, first, MARGIN, place)
        over_ahead = max(ahead.wait - self.settings.max_queue_wait_s, ahead.overrun)
        if over_ahead <= 0:
            return True, due
        wait = policy.queue_wait(workers, running, loads, place)
        over_in_turn = max(wait - self.settings.max_queue_wait_s, in_turn.overrun)
        if over_in_turn > 0:
            self._busy(ahead, min(over_ahead, over_in_turn))
        return False, due

    def _due_at(self, place: int, due: float) -> float:
        """The due time that puts a request at ``place`` in the lane: its own, unless admission
        placed it behind a request due later, which it would have made late (it yields)."""
        if place and self._lane[place - 1].due > due:
            return self._lane[place - 1].due
        return due

    def _place(self, due: float) -> int:
        """Where a request due at ``due`` goes in the lane (after those due at the same time)."""
        return bisect.bisect_left([t.order for t in self._lane], (due, math.inf))

    def precheck(self, chars: int) -> None:
        """Refuse (429) at once, before a request's ``chars`` characters are read, when even
        at half the cheapest cost per character it could not be admitted. Under overload most
        requests are refused, and reading each one's text first would take CPU from the
        workers. With a cache, a request may cost nothing: it is read first."""
        if self.cache is not None or not self._tickets:
            return
        now, workers = self.clock(), self.settings.workers
        rate = min([self.costs.seconds_per_char, *self.costs.rates().values()])
        least = policy.Load(now + self.settings.request_timeout_s, 0.0, 0.5 * chars * rate, 0.0)
        place = self._place(policy.due(now, workers, least))
        loads = self._loads()
        _, verdict = policy.place_for(now, workers, self._running(), loads, least, MARGIN, place)
        if verdict.overrun > 0:
            self._busy(verdict, verdict.overrun)

    def _busy(self, verdict: policy.Verdict, over: float) -> None:
        self._refuse(
            f"the service is busy (estimated wait {verdict.wait:.1f} s, finish in "
            f"{verdict.finish:.1f} s); retry later",
            over,
        )

    def _refuse(self, message: str, over: float) -> None:
        self.metrics.rejections.labels("overloaded").inc()
        raise OverloadedError(message, retry_after=self._retry.refused(over))

    async def _admit(self, plan: SynthesisPlan, background: bool, stream: bool = True) -> Ticket:
        self._check_available()
        # With the cache off, nothing is reused: not even a render in flight.
        keys = [unit_key(t) if self.cache else None for t in plan.units]
        cached = await self._lookup(keys)
        self._check_available()
        ahead, due = False, math.inf
        if not background:
            fresh = [t for t, c in zip(plan.units, cached, strict=True) if c is None]
            ahead, due = self._check_capacity(fresh, stream)
        deadline = None if background else self.clock() + self.settings.request_timeout_s
        ticket = Ticket(plan, [], deadline, background=background)
        ticket.begun = not ahead  # its first unit does not go ahead
        ticket.due = due
        for task, key, unit in zip(plan.units, keys, cached, strict=True):
            self._attach(ticket, task, key, unit)
        (self._background if background else self._tickets).add(ticket)
        self._idle.clear()
        if background:
            if ticket.pending:
                self._background_round.append(ticket)
        else:
            self._retry.admitted()
            bisect.insort(self._lane, ticket, key=lambda t: t.order)
            if ticket.pending and not ticket.begun:
                self._fresh.append(ticket)
            elif ticket.pending and stream:
                self._in_turn.append(ticket)
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
    async def submit(
        self, plan: SynthesisPlan, *, stream: bool = True, parts: bool = False
    ) -> AsyncIterator[Ticket]:
        """Admit ``plan`` (or raise OverloadedError/UnavailableError) and run it.

        Iterate the ticket for each unit's samples in order; leaving the block early drops the
        units still queued. ``stream``: the client hears the first unit before the others, so
        it goes ahead of older requests' remaining units; a whole file (False) gains nothing
        from that and waits its turn. ``parts``: the caller reads :meth:`Ticket.pieces`, so the
        first unit's worker hands its first samples over before the unit is done.
        """
        async with self._run(plan, background=False, stream=stream, parts=parts) as ticket:
            yield ticket

    @contextlib.asynccontextmanager
    async def submit_background(self, plan: SynthesisPlan) -> AsyncIterator[Ticket]:
        """Run ``plan`` at background priority: no admission limit and no deadline; its units go
        to the job workers only (started on first use, at a lower CPU priority than the others),
        so interactive requests keep every other worker and win the CPU when both want it."""
        async with self._run(plan, background=True) as ticket:
            yield ticket

    @contextlib.asynccontextmanager
    async def _run(
        self, plan: SynthesisPlan, background: bool, stream: bool = False, parts: bool = False
    ) -> AsyncIterator[Ticket]:
        if background:
            await self.pool.ensure_background()
        ticket = await self._admit(plan, background, stream)
        ticket.parts = parts
        self._count_sources(ticket)
        self._update_gauges()
        self._dispatch()
        reason = "cancelled"
        try:
            yield ticket
            reason = "unused"
        except VoxError as exc:
            reason = exc.code
            if exc.code == "deadline_exceeded":
                self.metrics.deadline_misses.inc()
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
        for queue in (self._lane, self._fresh, self._in_turn, self._background_round):
            with contextlib.suppress(ValueError):
                queue.remove(ticket)
        self._update_gauges()

    def _forget(self, job: UnitJob) -> None:
        if job.key is not None and self._inflight.get(job.key) is job:
            del self._inflight[job.key]

    # -- dispatch --------------------------------------------------------------------------

    def _promote(self) -> None:
        """Let the streams that wait their turn go ahead, oldest first, as soon as the admission
        test finds that their first unit going ahead keeps every admitted request in time:
        units finishing before their estimates, and requests ending, make room that was not
        there when they were admitted."""
        while self._in_turn:
            ticket = self._in_turn[0]
            waiting = ticket.waiting()
            if not waiting or waiting[0] is not ticket.jobs[0]:
                self._in_turn.popleft()  # its first unit has started (or is done): too late
                continue
            others = [t for t in self._lane if t is not ticket]
            loads = [self._load([j.task for j in t.waiting()], t.begun, t.deadline) for t in others]
            first = self._load([j.task for j in waiting], False, ticket.deadline)
            place = bisect.bisect_left([t.order for t in others], ticket.order)
            now, workers = self.clock(), self.settings.workers
            verdict = policy.judge(now, workers, self._running(), loads, first, MARGIN, place)
            if verdict.overrun > 0:
                return
            self._in_turn.popleft()
            ticket.begun = False
            # Behind the first units already going ahead: their waits were promised at admission.
            self._fresh.append(ticket)
            self.metrics.promoted_streams.inc()

    def _take_interactive(self) -> UnitJob | None:
        """The next unit by the policy: the oldest unstarted request's first, else the earliest
        deadline's next."""
        while self._fresh:
            ticket = self._fresh.popleft()
            job = None if ticket.begun else ticket.next_pending()
            if job is not None:
                return job
        for ticket in self._lane:
            job = ticket.next_pending()
            if job is not None:
                return job
        return None

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
        if self._in_turn and any(not worker.background for worker in self._free):
            self._promote()
        for worker in list(self._free):
            if worker.background:
                job = self._take(self._background_round)
            else:
                job = self._take_interactive()
            if job is None:
                continue
            for wanting in job.tickets:
                wanting.begun = True
            self._free.remove(worker)
            worker.job = job
            job.attempts += 1
            job.running = True
            job.started = self.clock()
            try:
                owner = job.ticket
                request_id = owner.request_id if owner else "-"
                job.attempt_samples = 0
                worker.send(Render(job.id, job.task, request_id, _wants_parts(job)))
            except (UnavailableError, ConnectionError):
                self._requeue(job)  # the pool will report the worker lost
        self._update_gauges()

    def _requeue(self, job: UnitJob) -> None:
        job.running = False
        ticket = job.ticket
        if ticket is None or job.future.done():
            return
        ticket.pending.appendleft(job)
        if ticket.background and ticket not in self._background_round:
            self._background_round.appendleft(ticket)

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
        if isinstance(job, UnitJob) and isinstance(message, Part) and message.job_id == job.id:
            job.add_part(np.frombuffer(message.samples, dtype=np.float32))
            self.metrics.early_parts.inc()
            return
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
        wall = self.clock() - job.started
        audio = len(unit.pcm) / job.task.sample_rate
        self.metrics.synthesis_seconds.inc(wall)
        self.metrics.audio_seconds.inc(audio)
        if audio > 0:
            self.metrics.rtf.observe(wall / audio)
        self.costs.observe(job.task, wall)
        kind = kind_of(job.task)
        self.metrics.unit_cost.labels(kind.engine, kind.path).set(self.costs.rate(kind))
        if not job.future.done():
            job.future.set_result(unit)
        if self.cache is not None and job.key is not None:
            self._store(job.key, bytes(message.unit))

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
