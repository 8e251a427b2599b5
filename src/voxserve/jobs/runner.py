"""Running jobs: one at a time, in submission order, at background priority.

A job's text is split into units (the same split every time, so unit indices are stable); the
units not yet saved are rendered on the scheduler's background lane and each is saved as soon
as it is done. After a restart, queued and running jobs are picked up again and only their
missing units are rendered. When every unit is saved, the audio file is written and the
webhook (if any) is sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Coroutine
from dataclasses import replace
from typing import Any

from voxserve.audio.samples import int16_bytes
from voxserve.errors import JobStateError, VoxError
from voxserve.jobs.assemble import AudioFileWriter
from voxserve.jobs.base import JobStore
from voxserve.jobs.events import JobEvents
from voxserve.jobs.model import Job, JobStatus, WebhookAttempt, WebhookState
from voxserve.jobs.webhooks import WebhookSender
from voxserve.pipeline import Planner, SynthesisPlan
from voxserve.scheduler.scheduler import Scheduler
from voxserve.settings import Settings

log = logging.getLogger(__name__)


class JobRunner:
    """Owns the job queue and the tasks that work on it: ``await start()``, use, ``close()``."""

    def __init__(
        self,
        settings: Settings,
        store: JobStore,
        scheduler: Scheduler,
        planner: Planner,
        webhooks: WebhookSender,
    ) -> None:
        self.settings = settings
        self.store = store
        self.scheduler = scheduler
        self.planner = planner
        self.webhooks = webhooks
        self.events = JobEvents()
        self._queue: asyncio.Queue[str] = asyncio.Queue()
        self._current: tuple[str, asyncio.Task[None]] | None = None
        self._cancelling: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()

    async def start(self) -> None:
        """Queue the jobs a previous run left unfinished; resend pending webhooks; begin."""
        for job in await self.store.unfinished():
            if job.status is JobStatus.RUNNING:
                job = replace(job, status=JobStatus.QUEUED, restarts=job.restarts + 1)
                await self.store.update(job)
                log.info("job %s resumes at unit %d of %d", job.id, job.units_done, job.units_total)
            self._queue.put_nowait(job.id)
        for job in await self.store.finished():
            if job.webhook_state is WebhookState.PENDING:
                self._spawn(self._notify(job))
        self._spawn(self._work())
        self._spawn(self._sweep_forever())

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def submit(self, job: Job) -> Job:
        await self.store.create(job)
        self._queue.put_nowait(job.id)
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
        """Stop working; the job in progress stays ``running`` and resumes on the next start."""
        for task in list(self._tasks):
            task.cancel()
        if self._current is not None:
            self._current[1].cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.webhooks.close()

    # -- the queue -------------------------------------------------------------------------

    async def _work(self) -> None:
        while True:
            job_id = await self._queue.get()
            job = await self.store.get(job_id)
            if job is None or job.status.finished:
                continue
            # Workers being replaced: wait for them (nothing signals readiness as an event).
            while not self.scheduler.ready:  # noqa: ASYNC110
                await asyncio.sleep(0.5)
            task = asyncio.create_task(self._run(job))
            self._current = (job_id, task)
            try:
                await asyncio.shield(task)
            except asyncio.CancelledError:
                if job_id not in self._cancelling:
                    task.cancel()
                    raise
            finally:
                self._current = None

    async def _run(self, job: Job) -> None:
        job = replace(job, status=JobStatus.RUNNING, started_at=job.started_at or time.time())
        await self.store.update(job)
        self.events.publish(job)
        try:
            plan = await asyncio.to_thread(
                self.planner.plan, job.request, self.settings.max_job_chars
            )
            job = replace(job, units_total=len(plan.units), sample_rate=plan.sample_rate)
            await self.store.update(job)
            job = await self._render(job, plan)
            await self._finish(job, plan)
        except VoxError as exc:
            await self._fail(job, exc)
        except Exception:  # a job must end in a status whatever happens
            log.exception("job %s failed unexpectedly", job.id)
            await self._fail(job, VoxError("the job failed; see the server's log"))

    async def _render(self, job: Job, plan: SynthesisPlan) -> Job:
        """Render and save every unit not saved yet; returns the job with its progress."""
        saved = {u.index for u in await self.store.units(job.id)}
        remaining = tuple(u for u in plan.units if u.index not in saved)
        if not remaining:
            return job
        async with self.scheduler.submit_background(replace(plan, units=remaining)) as ticket:
            async for position, pcm in ticket.completed():
                unit = remaining[position]
                data = await asyncio.to_thread(int16_bytes, pcm)
                job = await self.store.save_unit(job.id, unit.index, len(unit.text), data)
                self.events.publish(job)
        return job

    async def _finish(self, job: Job, plan: SynthesisPlan) -> None:
        path = self.store.audio_path(job.id)
        writer = await asyncio.to_thread(
            AudioFileWriter, path, job.request.format, plan.sample_rate, job.request.sample_rate
        )
        try:
            for unit in plan.units:
                data = await self.store.read_unit(job.id, unit.index)
                await asyncio.to_thread(writer.feed, data)
            size = await asyncio.to_thread(writer.finish)
        except BaseException:
            await asyncio.to_thread(writer.abort)
            raise
        await self._end(
            replace(
                job, status=JobStatus.SUCCEEDED, audio_bytes=size, sample_rate=writer.sample_rate
            )
        )
        await self.store.drop_units(job.id)

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
        job = await self.store.get(job.id) or job
        self.events.publish(job)
        if job.webhook_url:
            self._spawn(self._notify(job))

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
