"""Running jobs: one at a time per server, in submission order, at background priority.

A job's text is split into units (the same split every time, so unit indices are stable); the
units not yet saved are rendered on the scheduler's background lane and each is saved as soon
as it is done. Jobs come from a :class:`~voxserve.jobs.queue.JobQueue`: after a restart (the
embedded queue) or after the replica running it died (the Redis queue, on any other replica),
a job is delivered again and only its missing units are rendered. When every unit is saved, the
audio file is written and the webhook (if any) is sent.

While a job runs, its claim on the queue is renewed; a runner that finds its claim taken over
(it stalled longer than ``job_claim_idle_s``) leaves the job to the replica that took it. A job
cancelled on another replica is noticed at its next saved unit: the store refuses to keep units
of a finished job and hands the job back with its status.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable, Coroutine
from dataclasses import replace
from enum import Enum
from typing import Any

from voxserve.audio.samples import int16_bytes
from voxserve.errors import (
    CapacityError,
    JobStateError,
    SharedStateError,
    VoxError,
    storage_error,
)
from voxserve.jobs.assemble import AudioFileWriter
from voxserve.jobs.base import JobStore, SharedAudio
from voxserve.jobs.captions import JobTimeline, packed_marks, unpacked_marks
from voxserve.jobs.events import JobEvents
from voxserve.jobs.model import Job, JobStatus, WebhookAttempt, WebhookState
from voxserve.jobs.queue import Claim, EmbeddedJobQueue, JobQueue
from voxserve.jobs.webhooks import WebhookSender
from voxserve.pipeline import Planner, SynthesisPlan
from voxserve.scheduler.scheduler import Scheduler
from voxserve.settings import Settings
from voxserve.text.tokens import Tokenizer

log = logging.getLogger(__name__)

RETRY_PAUSE_S = 1.0
"""First pause before a job that met a capacity error (dead workers, full disk) runs again."""
RETRY_MAX_PAUSE_S = 10.0


class _Outcome(Enum):
    ENDED = "ended"
    """The job succeeded, failed or was cancelled: ack its claim."""
    RETRY = "retry"
    """The service's trouble (capacity, storage, shared state): give the job back for later."""
    LOST = "lost"
    """Another replica took the job over: leave it (and its claim) alone."""


class _StoppedElsewhereError(Exception):
    """The job was cancelled (or finished) by another replica while this one worked on it."""


class JobRunner:
    """Owns the job queue and the tasks that work on it: ``await start()``, use, ``close()``."""

    def __init__(
        self,
        settings: Settings,
        store: JobStore,
        scheduler: Scheduler,
        planner: Planner,
        webhooks: WebhookSender,
        queue: JobQueue | None = None,
        tokenizer: Callable[[], Tokenizer] | None = None,
    ) -> None:
        self.settings = settings
        self.tokenizer = tokenizer
        """Loads the front end's tokenizer (for the job's timestamps); None: no timestamps."""
        self.store = store
        self.scheduler = scheduler
        self.planner = planner
        self.webhooks = webhooks
        self.queue: JobQueue = queue or EmbeddedJobQueue(store)
        self.events = JobEvents()
        self._current: tuple[str, asyncio.Task[_Outcome]] | None = None
        self._claim: Claim | None = None
        self._cancelling: set[str] = set()
        self._lost: set[str] = set()
        self._given_back: set[str] = set()  # paused here and queued again: not a restart
        self._tasks: set[asyncio.Task[None]] = set()
        self._pauses = 0  # capacity errors in a row: the next pause doubles

    async def start(self) -> None:
        """Prepare the queue (jobs a previous run left unfinished are delivered again); resend
        pending webhooks; begin."""
        await self.queue.start()
        try:
            for job in await self.store.finished():
                if job.webhook_state is WebhookState.PENDING:
                    self._spawn(self._notify(job))
        except SharedStateError as exc:
            log.warning("pending webhooks not resent: %s", exc.message)
        self._spawn(self._work())
        self._spawn(self._sweep_forever())

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def submit(self, job: Job) -> Job:
        """Record and queue ``job``; once this returns, the job is durably accepted."""
        await self.queue.submit(job)
        return job

    async def cancel(self, job: Job) -> Job:
        """Stop ``job`` (queued or running) and drop its partial audio."""
        if job.status.finished:
            raise JobStateError(f"job {job.id} has already {job.status.value}", job.status.value)
        current = self._current
        if current is not None and current[0] == job.id:
            self._cancelling.add(job.id)
            current[1].cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.shield(current[1])
            self._cancelling.discard(job.id)
        job = replace(await self.store.get(job.id) or job, status=JobStatus.CANCELLED)
        job = replace(job, finished_at=time.time())
        await self.store.update(job)
        await self.store.drop_units(job.id)
        self.events.publish(job)
        return job

    async def close(self) -> None:
        """Stop working; the job in progress stays ``running`` and is given back to the queue,
        to resume from its saved units (on the next start, or on another replica at once)."""
        claim = self._claim
        for task in list(self._tasks):
            task.cancel()
        if self._current is not None:
            self._current[1].cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if claim is not None and claim.job_id not in self._lost:
            with contextlib.suppress(Exception):  # else its claim lapses and is taken over
                await self.queue.release(claim)
        await self.webhooks.close()

    # -- the queue -------------------------------------------------------------------------

    async def _work(self) -> None:
        outages = 0
        while True:
            try:
                claim = await self.queue.claim()
            except SharedStateError as exc:
                # Redis is away: keep asking, more slowly, and carry on when it is back.
                outages += 1
                if outages == 1:
                    log.warning("job queue unreachable: %s; retrying", exc.message)
                await asyncio.sleep(_backoff(outages))
                continue
            if outages:
                log.info("job queue reachable again")
                outages = 0
            self._claim = claim
            try:
                await self._serve(claim)
            finally:
                self._claim = None

    async def _serve(self, claim: Claim) -> None:
        """Work on the claimed job until it ends, is lost, or must wait; settle its claim."""
        try:
            job = await self.store.get(claim.job_id)
            if job is None or job.status.finished:
                outcome = _Outcome.ENDED
            else:
                # Workers being replaced: wait for them (nothing signals readiness as an event).
                while not self.scheduler.ready:  # noqa: ASYNC110
                    await asyncio.sleep(0.5)
                if job.status is JobStatus.RUNNING and job.id not in self._given_back:
                    # It was running when its server stopped (or its replica died).
                    job = replace(job, restarts=job.restarts + 1)
                    log.info(
                        "job %s resumes at unit %d of %d", job.id, job.units_done, job.units_total
                    )
                self._given_back.discard(job.id)
                outcome = await self._attempt(claim, job)
        except CapacityError as exc:
            # The store failed around the job (Redis away, disk trouble): give it back after a
            # pause. If that fails too, a Redis claim lapses and the job is taken up again (here
            # or elsewhere) job_claim_idle_s after Redis is back, from its saved units.
            log.warning("job %s interrupted: %s", claim.job_id, exc.message)
            await asyncio.sleep(RETRY_PAUSE_S)
            outcome = _Outcome.RETRY
        try:
            if outcome is _Outcome.ENDED:
                await self.queue.ack(claim)
            elif outcome is _Outcome.RETRY:
                self._given_back.add(claim.job_id)
                await self.queue.release(claim)
        except SharedStateError as exc:
            # An ended job delivered again is acked then; a lapsed claim is taken over.
            log.warning("job %s: claim not settled (%s)", claim.job_id, exc.message)

    async def _attempt(self, claim: Claim, job: Job) -> _Outcome:
        task = asyncio.create_task(self._run(job))
        self._current = (job.id, task)
        keeper = None
        if self.queue.keep_interval is not None:
            keeper = asyncio.create_task(self._keep_claim(claim, task, self.queue.keep_interval))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            if job.id in self._cancelling:
                return _Outcome.ENDED  # cancel() records the cancellation
            if job.id in self._lost:
                self._lost.discard(job.id)
                return _Outcome.LOST
            task.cancel()
            raise
        finally:
            if keeper is not None:
                keeper.cancel()
            self._current = None

    async def _keep_claim(
        self, claim: Claim, task: asyncio.Task[_Outcome], interval: float
    ) -> None:
        """Renew ``claim`` while ``task`` works; stop the task if another replica has the job."""
        while not task.done():
            await asyncio.sleep(interval)
            try:
                kept = await self.queue.keep(claim)
            except SharedStateError:
                continue  # the job meets the outage itself; its claim is renewed once Redis is back
            if not kept:
                log.warning("job %s was taken over by another replica; leaving it", claim.job_id)
                self._lost.add(claim.job_id)
                task.cancel()
                return

    async def _run(self, job: Job) -> _Outcome:
        try:
            job = replace(job, status=JobStatus.RUNNING, started_at=job.started_at or time.time())
            await self.store.update(job)
            self.events.publish(job)
            current = await self.store.get(job.id)
            if current is None or current.status.finished:
                return _Outcome.ENDED  # cancelled or deleted before it could start
            plan = await asyncio.to_thread(
                self.planner.plan, job.request, self.settings.max_job_chars
            )
            job = replace(job, units_total=len(plan.units), sample_rate=plan.sample_rate)
            await self.store.update(job)
            job = await self._render(job, plan)
            await self._finish(job, plan)
            self._pauses = 0
        except _StoppedElsewhereError:
            log.info("job %s was cancelled on another replica; stopped", job.id)
        except CapacityError as exc:
            await self._retry_later(job, exc)
            return _Outcome.RETRY
        except VoxError as exc:
            await self._fail(job, exc)
        except Exception as exc:  # a job must end in a status whatever happens
            full = storage_error(exc, "the job's audio") if isinstance(exc, OSError) else None
            if full is not None:
                await self._retry_later(job, full)
                return _Outcome.RETRY
            log.exception("job %s failed unexpectedly", job.id)
            await self._fail(job, VoxError("the job failed; see the server's log"))
        return _Outcome.ENDED

    async def _retry_later(self, job: Job, exc: CapacityError) -> None:
        """Pause before ``job`` is queued again (at the back; by the caller): the pause doubles
        while the trouble lasts. Killed workers, a full disk or an unreachable Redis are the
        service's trouble and must not fail a job it accepted. Its saved units are kept; only
        the missing ones are rendered again."""
        pause = min(RETRY_MAX_PAUSE_S, RETRY_PAUSE_S * 2**self._pauses)
        self._pauses += 1
        log.warning(
            "job %s paused: %s (%s); retrying in %g s", job.id, exc.code, exc.message, pause
        )
        await asyncio.sleep(pause)

    async def _render(self, job: Job, plan: SynthesisPlan) -> Job:
        """Render and save every unit not saved yet; returns the job with its progress."""
        saved = {u.index for u in await self.store.units(job.id)}
        remaining = tuple(u for u in plan.units if u.index not in saved)
        if not remaining:
            return job
        async with self.scheduler.submit_background(replace(plan, units=remaining)) as ticket:
            async for position, rendered in ticket.completed():
                unit = remaining[position]
                data = await asyncio.to_thread(int16_bytes, rendered.pcm)
                await self.store.save_marks(job.id, unit.index, packed_marks(rendered.marks))
                saved_job = await self.store.save_unit(job.id, unit.index, len(unit.text), data)
                if saved_job.status.finished:
                    raise _StoppedElsewhereError(job.id)
                # The store's copy has the progress; this one the plan (units_total, rate).
                job = replace(
                    job,
                    units_done=saved_job.units_done,
                    chars_done=saved_job.chars_done,
                    audio_seconds=saved_job.audio_seconds,
                )
                self.events.publish(job)
        return job

    async def _finish(self, job: Job, plan: SynthesisPlan) -> None:
        path = self.store.audio_path(job.id)
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        writer = await asyncio.to_thread(
            AudioFileWriter, path, job.request.format, plan.sample_rate, job.request.sample_rate
        )
        timeline = await self._timeline(job, plan)
        try:
            for unit in plan.units:
                data = await self.store.read_unit(job.id, unit.index)
                await asyncio.to_thread(writer.feed, data)
                if timeline is not None:
                    marks = await self.store.read_marks(job.id, unit.index)
                    timeline.add(unpacked_marks(marks), len(data) // 2)
            size = await asyncio.to_thread(writer.finish)
        except BaseException:
            await asyncio.to_thread(writer.abort)
            raise
        if timeline is not None:
            await self.store.save_timings(job.id, timeline.packed())
        if isinstance(self.store, SharedAudio):
            await self.store.publish_audio(job.id)
        await self._end(
            replace(
                job, status=JobStatus.SUCCEEDED, audio_bytes=size, sample_rate=writer.sample_rate
            )
        )
        await self.store.drop_units(job.id)

    async def _timeline(self, job: Job, plan: SynthesisPlan) -> JobTimeline | None:
        """The job's tokens on a timeline, or None (no tokenizer; or reading the text failed,
        which costs the job its captions, not its audio)."""
        if self.tokenizer is None:
            return None
        try:
            return await asyncio.to_thread(JobTimeline.read, self.tokenizer(), job.request, plan)
        except VoxError as exc:
            log.warning("job %s has no timestamps: %s", job.id, exc.code)
            return None

    async def _fail(self, job: Job, exc: VoxError) -> None:
        log.warning("job %s failed: %s (%s)", job.id, exc.code, exc.message)
        current = await self.store.get(job.id) or job
        await self._end(
            replace(
                current,
                status=JobStatus.FAILED,
                error_code=exc.code,
                error_message=exc.message,
            )
        )

    async def _end(self, job: Job) -> None:
        pending = WebhookState.PENDING if job.webhook_url else None
        job = replace(job, finished_at=time.time(), webhook_state=pending)
        await self.store.update(job)
        stored = await self.store.get(job.id) or job
        self.events.publish(stored)
        if stored.status is not job.status:
            return  # cancelled on another replica meanwhile: that status stands, unannounced
        if stored.webhook_url:
            self._spawn(self._notify(stored))

    # -- webhooks --------------------------------------------------------------------------

    async def _notify(self, job: Job) -> None:
        assert job.webhook_url is not None
        body = json.dumps(webhook_event(job), ensure_ascii=False).encode()

        async def record(attempt: WebhookAttempt) -> None:
            await self.store.add_webhook_attempt(job.id, attempt)
            self.events.publish(await self.store.get(job.id) or job)

        delivered = await self.webhooks.deliver(job.webhook_url, _event_id(job), body, record)
        current = await self.store.get(job.id)
        if current is not None:
            state = WebhookState.DELIVERED if delivered else WebhookState.FAILED
            await self.store.update(replace(current, webhook_state=state))

    # -- retention -------------------------------------------------------------------------

    async def _sweep_forever(self) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:
                log.exception("sweeping expired jobs failed")
            await asyncio.sleep(self.settings.job_sweep_interval_s)

    async def sweep(self, now: float | None = None) -> list[str]:
        """Delete expired finished jobs, then the oldest ones while over the disk budget."""
        now = time.time() if now is None else now
        finished = await self.store.finished()
        expiry = now - self.settings.job_retention_s
        doomed = [j for j in finished if (j.finished_at or 0) < expiry]
        kept = [j for j in finished if j not in doomed]
        used = sum(j.audio_bytes for j in kept)
        for job in kept:
            if used <= self.settings.job_disk_bytes:
                break
            doomed.append(job)
            used -= job.audio_bytes
        for job in doomed:
            if job.webhook_state is not WebhookState.PENDING:
                await self.store.delete(job.id)
        return [j.id for j in doomed]


def _backoff(failures: int) -> float:
    """Seconds to wait after ``failures`` failed attempts in a row (doubling, capped)."""
    return float(min(RETRY_MAX_PAUSE_S, RETRY_PAUSE_S * 2 ** min(failures - 1, 8)))


def _event_id(job: Job) -> str:
    return f"evt_{job.id.removeprefix('job_')}_{job.status.value}"


def webhook_event(job: Job) -> dict[str, object]:
    """The JSON body of a job's webhook."""
    data: dict[str, object] = {
        "id": job.id,
        "status": job.status.value,
        "created_at": job.created_at,
        "finished_at": job.finished_at,
        "units": job.units_total,
        "audio_seconds": round(job.audio_seconds, 3),
        "audio_bytes": job.audio_bytes,
        "format": job.request.format.value,
    }
    if job.error_code:
        data["error"] = {"code": job.error_code, "message": job.error_message}
    return {"id": _event_id(job), "type": f"job.{job.status.value}", "data": data}
