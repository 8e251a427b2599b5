"""The SQLite job store: records, per-unit progress, idempotent unit saves, deletion."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

from voxserve.jobs.model import Job, JobStatus, WebhookAttempt, WebhookState, new_job_id
from voxserve.jobs.sqlite import SqliteJobStore
from voxserve.types import AudioFormat, SynthesisRequest


def _job(text: str = "你好。世界。") -> Job:
    return Job(id=new_job_id(), request=SynthesisRequest(text=text, format=AudioFormat.MP3))


def test_records_survive_reopening(tmp_path: Path) -> None:
    async def scenario() -> tuple[Job, Job | None]:
        store = await SqliteJobStore.open(tmp_path)
        job = _job()
        await store.create(job)
        await store.update(replace(job, status=JobStatus.RUNNING, units_total=2, sample_rate=100))
        await store.close()
        reopened = await SqliteJobStore.open(tmp_path)
        try:
            return job, await reopened.get(job.id)
        finally:
            await reopened.close()

    job, found = asyncio.run(scenario())
    assert found is not None
    assert found.request == job.request and found.status is JobStatus.RUNNING
    assert found.units_total == 2 and found.sample_rate == 100


def test_saving_a_unit_twice_counts_it_once(tmp_path: Path) -> None:
    async def scenario() -> tuple[Job, list[int], bytes]:
        store = await SqliteJobStore.open(tmp_path)
        job = _job()
        await store.create(job)
        await store.update(replace(job, units_total=2, sample_rate=10))
        await store.save_unit(job.id, 0, 3, b"\x00\x01" * 10)
        await store.save_unit(job.id, 0, 3, b"\x00\x02" * 10)  # rendered again after a crash
        saved = await store.save_unit(job.id, 1, 3, b"\x00\x03" * 20)
        renders = [u.renders for u in await store.units(job.id)]
        data = await store.read_unit(job.id, 0)
        await store.close()
        return saved, renders, data

    saved, renders, data = asyncio.run(scenario())
    assert saved.units_done == 2 and saved.chars_done == 6
    assert saved.audio_seconds == 3.0  # 10 + 20 samples at 10 Hz
    assert renders == [2, 1]
    assert data == b"\x00\x02" * 10


def test_pages_newest_first_and_unfinished_oldest_first(tmp_path: Path) -> None:
    async def scenario() -> tuple[list[str], list[str], list[str], list[str]]:
        store = await SqliteJobStore.open(tmp_path)
        jobs = [_job() for _ in range(5)]
        for job in jobs:
            await store.create(job)
        await store.update(replace(jobs[1], status=JobStatus.SUCCEEDED, finished_at=1.0))
        first = [j.id for j in await store.page(2)]
        second = [j.id for j in await store.page(2, after=first[-1])]
        unfinished = [j.id for j in await store.unfinished()]
        finished = [j.id for j in await store.finished()]
        await store.close()
        ids = [j.id for j in jobs]
        assert first == ids[::-1][:2] and second == ids[::-1][2:4]
        return first, second, unfinished, finished

    _, _, unfinished, finished = asyncio.run(scenario())
    assert len(unfinished) == 4 and len(finished) == 1


def test_webhook_attempts_and_deletion(tmp_path: Path) -> None:
    async def scenario() -> tuple[Job | None, Job | None, bool]:
        store = await SqliteJobStore.open(tmp_path)
        job = replace(_job(), webhook_url="https://example.com/hook")
        await store.create(job)
        await store.update(replace(job, sample_rate=10, webhook_state=WebhookState.PENDING))
        await store.add_webhook_attempt(job.id, WebhookAttempt(1.0, 0.1, 500, None))
        await store.add_webhook_attempt(job.id, WebhookAttempt(2.0, 0.1, None, "ConnectError"))
        await store.save_unit(job.id, 0, 1, b"\x00\x00")
        kept = await store.get(job.id)
        await store.delete(job.id)
        gone = await store.get(job.id)
        exists = (tmp_path / job.id).exists()
        await store.close()
        return kept, gone, exists

    kept, gone, exists = asyncio.run(scenario())
    assert kept is not None and kept.webhook_state is WebhookState.PENDING
    assert [a.status for a in kept.webhook_attempts] == [500, None]
    assert kept.webhook_attempts[1].error == "ConnectError"
    assert gone is None and not exists
