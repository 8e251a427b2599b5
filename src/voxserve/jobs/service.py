"""What the jobs API does: validate and accept jobs, look them up, describe their progress."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from voxserve.errors import (
    CaptionsUnavailableError,
    JobNotFoundError,
    JobStateError,
    TextTooLongError,
)
from voxserve.jobs.base import JobStore, SharedAudio
from voxserve.jobs.model import Job, JobStatus, WebhookState, new_job_id, request_to_dict
from voxserve.jobs.runner import JobRunner
from voxserve.jobs.webhooks import check_url
from voxserve.pipeline import Planner
from voxserve.prosody.emotions import emotion_prosody
from voxserve.scheduler.scheduler import Scheduler
from voxserve.security.caller import charge_characters
from voxserve.settings import Settings
from voxserve.timestamps import unpack_timings
from voxserve.types import SynthesisRequest

KEEPALIVE_S = 15.0
SHARED_POLL_S = 0.5
"""With replicas sharing the store, how often an event stream looks for progress made by
another replica (this one's own changes arrive at once)."""


_OWNER_BATCH = 200
"""Jobs read per store page while listing one owner's jobs."""


class JobService:
    """The jobs API's operations over a :class:`JobRunner` and its store."""

    def __init__(
        self, settings: Settings, runner: JobRunner, planner: Planner, scheduler: Scheduler
    ) -> None:
        self.settings = settings
        self.runner = runner
        self.store: JobStore = runner.store
        self.planner = planner
        self.scheduler = scheduler
        self.poll_s = SHARED_POLL_S if settings.redis_url else None

    async def submit(
        self, request: SynthesisRequest, webhook_url: str | None, owner: str | None = None
    ) -> Job:
        """Check what can be checked at once (length, voice, emotion, webhook URL) and queue.
        ``owner`` (the caller's API key, ``key:<id>``) is the only one who will see the job."""
        if len(request.text) > self.settings.max_job_chars:
            raise TextTooLongError(len(request.text), self.settings.max_job_chars)
        self.planner.catalog.resolve(request.voice)
        emotion_prosody(request.emotion, request.intensity)
        if webhook_url is not None:
            await check_url(webhook_url, self.settings.webhook_allow_private)
        await charge_characters(len(request.text))
        job = Job(
            id=new_job_id(),
            request=request,
            webhook_url=webhook_url,
            webhook_state=None,
            owner=owner,
        )
        return await self.runner.submit(job)

    async def get(self, job_id: str, owner: str | None = None) -> Job:
        """The job, if ``owner`` may see it: with an owner (API keys on) only its own jobs, so
        another key's job is "not found" as much as one that never existed; without (keys off)
        every job."""
        job = await self.store.get(job_id)
        if job is None or (owner is not None and job.owner != owner):
            raise JobNotFoundError(job_id)
        return job

    async def page(self, limit: int, after: str | None, owner: str | None = None) -> list[Job]:
        """Up to ``limit`` jobs ``owner`` may see, newest first, after the job ``after``."""
        if owner is None:
            return await self.store.page(limit, after)
        found: list[Job] = []
        while len(found) < limit:
            batch = await self.store.page(max(limit, _OWNER_BATCH), after)
            found += [job for job in batch if job.owner == owner]
            if len(batch) < max(limit, _OWNER_BATCH):
                break
            after = batch[-1].id
        return found[:limit]

    async def cancel(self, job_id: str, owner: str | None = None) -> Job:
        return await self.runner.cancel(await self.get(job_id, owner))

    async def delete(self, job_id: str, owner: str | None = None) -> Job | None:
        """Cancel an unfinished job (returned); forget a finished one and its audio (None)."""
        job = await self.get(job_id, owner)
        if not job.status.finished:
            return await self.runner.cancel(job)
        await self.store.delete(job_id)
        return None

    async def _succeeded(self, job_id: str, owner: str | None, what: str) -> Job:
        """The job, if it has succeeded (JobStateError naming ``what`` otherwise)."""
        job = await self.get(job_id, owner)
        if job.status is not JobStatus.SUCCEEDED:
            raise JobStateError(
                f"job {job_id} is {job.status.value}; "
                f"its {what} will be ready once it has succeeded",
                job.status.value,
            )
        return job

    async def audio(self, job_id: str, owner: str | None = None) -> tuple[Job, Path]:
        job = await self._succeeded(job_id, owner, "audio")
        if isinstance(self.store, SharedAudio):
            return job, await self.store.fetch_audio(job)
        return job, self.store.audio_path(job_id)

    async def timings(self, job_id: str, owner: str | None = None) -> dict[str, Any]:
        """A succeeded job's timestamps: ``tokens``, ``sentences`` and ``duration_ms``."""
        await self._succeeded(job_id, owner, "captions")
        data = await self.store.read_timings(job_id)
        if data is None:
            raise CaptionsUnavailableError(job_id)
        return await asyncio.to_thread(unpack_timings, data)

    async def follow(self, job_id: str, owner: str | None = None) -> AsyncIterator[Job | None]:
        """The job now, then after each change until it finishes; None every keep-alive period."""
        queue = self.runner.events.subscribe(job_id)
        try:
            job = await self.get(job_id, owner)
            yield job
            quiet = 0.0
            while not job.status.finished:
                wait = KEEPALIVE_S - quiet if self.poll_s is None else self.poll_s
                try:
                    async with asyncio.timeout(wait):
                        changed: Job | None = await queue.get()
                except TimeoutError:
                    # Another replica may be running it: look at the shared store.
                    changed = await self._changed(job) if self.poll_s is not None else None
                if changed is not None:
                    job, quiet = changed, 0.0
                    yield job
                    continue
                quiet += wait
                if quiet >= KEEPALIVE_S:
                    quiet = 0.0
                    yield None
        finally:
            self.runner.events.unsubscribe(job_id, queue)

    async def _changed(self, seen: Job) -> Job | None:
        """The stored job if it moved on since ``seen`` (None if not)."""
        job = await self.get(seen.id)
        moved = (job.status, job.units_done, job.units_total, job.webhook_state) != (
            seen.status,
            seen.units_done,
            seen.units_total,
            seen.webhook_state,
        )
        return job if moved else None

    def eta(self, job: Job) -> float | None:
        """Seconds until the job is done, from the scheduler's measured speed."""
        if job.status.finished:
            return 0.0
        remaining = job.chars - job.chars_done
        return round(remaining * self.scheduler.seconds_per_char / self.scheduler.job_workers, 1)

    def view(self, job: Job, base: str = "") -> dict[str, Any]:
        """The JSON form of a job that the API returns."""
        url = f"{base}/v1/jobs/{job.id}"
        total = job.units_total or None
        estimated = job.audio_seconds / job.chars_done * job.chars if job.chars_done else None
        view: dict[str, Any] = {
            "id": job.id,
            "object": "job",
            "status": job.status.value,
            "created_at": job.created_at,
            "started_at": job.started_at,
            "finished_at": job.finished_at,
            "progress": {
                "units_done": job.units_done,
                "units_total": total,
                "chars_done": job.chars_done,
                "chars_total": job.chars,
                "audio_seconds": round(job.audio_seconds, 3),
                "audio_seconds_total": round(estimated, 1) if estimated else None,
                "fraction": round(job.chars_done / job.chars, 4) if job.chars else 1.0,
            },
            "eta_seconds": self.eta(job),
            "request": _request_view(job.request),
            "preview": _preview(job.request.text),
            "error": {"code": job.error_code, "message": job.error_message}
            if job.error_code
            else None,
            "restarts": job.restarts,
            "urls": {
                "self": url,
                "audio": f"{url}/audio",
                "events": f"{url}/events",
                "text": f"{url}/text",
                "captions": f"{url}/captions",
            },
            "audio": _audio_view(job),
            "webhook": _webhook_view(job),
        }
        return view


def _request_view(request: SynthesisRequest) -> dict[str, Any]:
    """The request's parameters, without the text (a long one is fetched on its own)."""
    params = request_to_dict(request)
    del params["text"], params["lexicon"]  # the names in "lexicons" are enough to show
    return {"chars": len(request.text), **params}


PREVIEW_CHARS = 60
"""Characters of a job's text its view shows, so that a list of jobs says which is which (the
whole text is at ``urls.text``, for the job's owner)."""


def _preview(text: str) -> str:
    head = " ".join(text[: PREVIEW_CHARS * 2].split())
    return head if len(head) <= PREVIEW_CHARS else head[: PREVIEW_CHARS - 1] + "…"


def _audio_view(job: Job) -> dict[str, Any] | None:
    if job.status is not JobStatus.SUCCEEDED:
        return None
    return {
        "format": job.request.format.value,
        "bytes": job.audio_bytes,
        "duration": round(job.audio_seconds, 3),
        "sample_rate": job.sample_rate,
    }


def _webhook_view(job: Job) -> dict[str, Any] | None:
    if job.webhook_url is None:
        return None
    return {
        "url": job.webhook_url,
        "state": (job.webhook_state or WebhookState.PENDING).value if job.status.finished else None,
        "attempts": [
            {"at": a.at, "duration": round(a.duration, 3), "status": a.status, "error": a.error}
            for a in job.webhook_attempts
        ],
    }
