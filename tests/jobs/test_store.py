"""Every job store (SQLite, Redis): records, per-unit progress, idempotent unit saves, deletion."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from tests.jobs.conftest import StoreOpener
from voxserve.jobs.model import Job, JobStatus, WebhookAttempt, WebhookState, new_job_id
from voxserve.types import AudioFormat, SynthesisRequest


def _job(text: str = "你好。世界。") -> Job:
    return Job(id=new_job_id(), request=SynthesisRequest(text=text, format=AudioFormat.MP3))


def test_records_survive_reopening(open_store: StoreOpener) -> None:
    async def scenario() -> tuple[Job, Job | None]:
        store = await open_store()
        job = _job()
        await store.create(job)
        await store.update(replace(job, status=JobStatus.RUNNING, units_total=2, sample_rate=100))
        await store.close()
        reopened = await open_store()
        try:
            return job, await reopened.get(job.id)
        finally:
            await reopened.close()

    job, found = asyncio.run(scenario())
    assert found is not None
    assert found.request == job.request and found.status is JobStatus.RUNNING
    assert found.units_total == 2 and found.sample_rate == 100


def test_saving_a_unit_twice_counts_it_once(open_store: StoreOpener) -> None:
    async def scenario() -> tuple[Job, list[int], bytes]:
        store = await open_store()
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


def test_pages_newest_first_and_unfinished_oldest_first(open_store: StoreOpener) -> None:
    async def scenario() -> tuple[list[str], list[str], list[str], list[str]]:
        store = await open_store()
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


def test_webhook_attempts_and_deletion(open_store: StoreOpener, tmp_path: Path) -> None:
    async def scenario() -> tuple[Job | None, Job | None, bool]:
        store = await open_store()
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


def test_units_listed_in_order_and_dropped_audio_is_gone(open_store: StoreOpener) -> None:
    async def scenario() -> None:
        store = await open_store()
        job = _job()
        await store.create(job)
        await store.update(replace(job, units_total=3, sample_rate=10))
        for index in (2, 0, 1):
            await store.save_unit(job.id, index, 1, bytes([index]) * 4)
        assert [u.index for u in await store.units(job.id)] == [0, 1, 2]
        assert await store.read_unit(job.id, 1) == b"\x01" * 4
        await store.drop_units(job.id)
        with pytest.raises((KeyError, OSError)):
            await store.read_unit(job.id, 1)
        progress = await store.get(job.id)
        assert progress is not None and progress.units_done == 3  # progress stays
        with pytest.raises(KeyError):
            await store.save_unit("job_" + "0" * 24, 0, 1, b"\x00\x00")
        await store.close()

    asyncio.run(scenario())


def test_finished_jobs_oldest_finish_first(open_store: StoreOpener) -> None:
    async def scenario() -> list[str]:
        store = await open_store()
        jobs = [_job() for _ in range(3)]
        for job, finished_at in zip(jobs, (30.0, 10.0, 20.0), strict=True):
            await store.create(job)
            await store.update(replace(job, status=JobStatus.FAILED, finished_at=finished_at))
        found = [j.id for j in await store.finished()]
        assert await store.unfinished() == []
        await store.close()
        return [jobs.index(next(j for j in jobs if j.id == i)) for i in found]

    assert asyncio.run(scenario()) == [1, 2, 0]


def test_owner_is_kept(open_store: StoreOpener) -> None:
    async def scenario() -> tuple[Job | None, Job | None]:
        store = await open_store()
        owned, shared = replace(_job(), owner="key:abc"), _job()
        await store.create(owned)
        await store.create(shared)
        await store.update(replace(owned, status=JobStatus.RUNNING))
        try:
            return await store.get(owned.id), await store.get(shared.id)
        finally:
            await store.close()

    owned, shared = asyncio.run(scenario())
    assert owned is not None and owned.owner == "key:abc"
    assert shared is not None and shared.owner is None


def test_a_store_from_before_owners_is_migrated(tmp_path: Path) -> None:
    import sqlite3

    from voxserve.jobs.sqlite import SqliteJobStore

    # A jobs table as voxserve created it before jobs had owners, with one job in it.
    db = sqlite3.connect(tmp_path / "jobs.db")
    db.execute(
        "CREATE TABLE jobs (seq INTEGER PRIMARY KEY AUTOINCREMENT, id TEXT UNIQUE NOT NULL, "
        "request TEXT NOT NULL, status TEXT NOT NULL, created_at REAL NOT NULL, "
        "updated_at REAL NOT NULL, started_at REAL, finished_at REAL, "
        "units_total INTEGER NOT NULL DEFAULT 0, sample_rate INTEGER NOT NULL DEFAULT 0, "
        "error_code TEXT, error_message TEXT, webhook_url TEXT, webhook_state TEXT, "
        "audio_bytes INTEGER NOT NULL DEFAULT 0, restarts INTEGER NOT NULL DEFAULT 0)"
    )
    request = '{"text": "你好", "voice": null, "emotion": "neutral", "intensity": 1.0, '
    request += '"speed": 1.0, "pitch": 0.0, "volume": 0.0, "format": "wav", "sample_rate": null}'
    db.execute(
        "INSERT INTO jobs (id, request, status, created_at, updated_at) VALUES (?, ?, ?, 1, 1)",
        ("job_" + "0" * 24, request, "queued"),
    )
    db.commit()
    db.close()

    async def scenario() -> tuple[Job | None, Job | None]:
        store = await SqliteJobStore.open(tmp_path)
        try:
            new = replace(_job(), owner="key:abc")
            await store.create(new)
            return await store.get("job_" + "0" * 24), await store.get(new.id)
        finally:
            await store.close()

    old, new = asyncio.run(scenario())
    assert old is not None and old.owner is None and old.request.text == "你好"
    assert new is not None and new.owner == "key:abc"


def test_marks_and_timings_are_kept_dropped_and_deleted(open_store: StoreOpener) -> None:
    async def scenario() -> None:
        store = await open_store()
        job = _job()
        await store.create(job)
        await store.update(replace(job, units_total=2, sample_rate=10))
        assert await store.read_marks(job.id, 0) is None  # a unit saved before marks were kept
        await store.save_marks(job.id, 0, b"marks-0")
        await store.save_unit(job.id, 0, 1, b"\x00\x00")
        assert await store.read_marks(job.id, 0) == b"marks-0"
        assert await store.read_timings(job.id) is None  # finished before timings were kept
        await store.save_timings(job.id, b"timings")
        await store.close()
        store = await open_store()  # both survive reopening
        assert await store.read_marks(job.id, 0) == b"marks-0"
        assert await store.read_timings(job.id) == b"timings"
        await store.drop_units(job.id)
        assert await store.read_marks(job.id, 0) is None
        assert await store.read_timings(job.id) == b"timings"  # the captions outlive the units
        await store.delete(job.id)
        assert await store.read_timings(job.id) is None
        await store.close()

    asyncio.run(scenario())
