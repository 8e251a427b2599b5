"""Retention: finished jobs expire by age, then by the disk budget; unfinished ones are kept."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path
from typing import Any, cast

from voxserve.jobs.model import Job, JobStatus, WebhookState, new_job_id
from voxserve.jobs.runner import JobRunner
from voxserve.jobs.sqlite import SqliteJobStore
from voxserve.settings import Settings
from voxserve.types import SynthesisRequest

NOW = 1_000_000.0


def _runner(store: SqliteJobStore, **settings: Any) -> JobRunner:
    # sweep() needs only the store and the settings.
    none = cast(Any, None)
    return JobRunner(Settings(**settings), store, none, none, none)


async def _finished(store: SqliteJobStore, age: float, audio: int, **changes: Any) -> Job:
    job = Job(id=new_job_id(), request=SynthesisRequest(text="你好。"))
    await store.create(job)
    done = replace(
        job, status=JobStatus.SUCCEEDED, finished_at=NOW - age, audio_bytes=audio, **changes
    )
    await store.update(done)
    return done


def test_expired_jobs_go_first_then_the_oldest_over_budget(tmp_path: Path) -> None:
    async def scenario() -> tuple[set[str], set[str], dict[str, Job]]:
        store = await SqliteJobStore.open(tmp_path)
        jobs = {
            "expired": await _finished(store, age=8 * 86400, audio=10),
            "old": await _finished(store, age=3 * 86400, audio=600),
            "new": await _finished(store, age=60, audio=600),
            "pending_hook": await _finished(
                store, age=9 * 86400, audio=10, webhook_state=WebhookState.PENDING
            ),
        }
        running = Job(id=new_job_id(), request=SynthesisRequest(text="你好。"))
        await store.create(running)
        runner = _runner(store, job_retention_s=7 * 86400, job_disk_bytes=1000)
        swept = set(await runner.sweep(now=NOW))
        left = {j.id for j in await store.page(10)}
        await store.close()
        return swept, left, {**jobs, "running": running}

    swept, left, jobs = asyncio.run(scenario())
    assert jobs["expired"].id in swept and jobs["old"].id in swept
    assert jobs["new"].id not in swept
    # A webhook still being delivered keeps its job; an unfinished job is never swept.
    assert jobs["pending_hook"].id in left and jobs["running"].id in left
    assert jobs["new"].id in left and jobs["expired"].id not in left
