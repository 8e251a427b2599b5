"""What only the Redis store has: guarded status changes, shared audio files, outages as 503."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from pathlib import Path

import pytest

from tests.jobs.conftest import redis_settings
from tests.support.redis import RedisProcess
from tests.support.server import free_port
from voxserve.errors import SharedStateError
from voxserve.jobs import redis_store
from voxserve.jobs.model import Job, JobStatus, new_job_id
from voxserve.jobs.redis_store import RedisJobStore
from voxserve.settings import Settings
from voxserve.types import AudioFormat, SynthesisRequest


def _job() -> Job:
    return Job(id=new_job_id(), request=SynthesisRequest(text="你好。", format=AudioFormat.WAV))


def test_cancelled_stays_cancelled_and_keeps_no_more_units(
    redis_server: RedisProcess, tmp_path: Path
) -> None:
    settings = redis_settings(redis_server, tmp_path)

    async def scenario() -> None:
        store = await RedisJobStore.open(settings, tmp_path)
        job = _job()
        await store.create(job)
        running = replace(job, status=JobStatus.RUNNING, units_total=2, sample_rate=10)
        await store.update(running)
        await store.save_unit(job.id, 0, 1, b"\x00\x00" * 10)
        # Another replica cancels it...
        await store.update(replace(running, status=JobStatus.CANCELLED, finished_at=5.0))
        # ...while this one still works on it: its unit is refused, its status changes too.
        answer = await store.save_unit(job.id, 1, 1, b"\x00\x00" * 10)
        assert answer.status is JobStatus.CANCELLED and answer.units_done == 1
        await store.update(replace(running, status=JobStatus.SUCCEEDED, finished_at=6.0))
        await store.update(running)
        final = await store.get(job.id)
        assert final is not None and final.status is JobStatus.CANCELLED
        assert final.finished_at == 5.0
        assert [j.id for j in await store.finished()] == [job.id]
        await store.close()

    asyncio.run(scenario())


def test_a_finished_job_never_runs_again(redis_server: RedisProcess, tmp_path: Path) -> None:
    settings = redis_settings(redis_server, tmp_path)

    async def scenario() -> None:
        store = await RedisJobStore.open(settings, tmp_path)
        job = _job()
        await store.create(job)
        await store.update(replace(job, status=JobStatus.SUCCEEDED, finished_at=1.0))
        await store.update(replace(job, status=JobStatus.RUNNING))  # a stalled replica
        found = await store.get(job.id)
        assert found is not None and found.status is JobStatus.SUCCEEDED
        # Webhook bookkeeping after the finish still goes through.
        await store.update(replace(found, error_message="note"))
        found = await store.get(job.id)
        assert found is not None and found.error_message == "note"
        await store.close()

    asyncio.run(scenario())


def test_audio_file_is_shared_between_replicas(
    redis_server: RedisProcess, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(redis_store, "CHUNK", 1000)  # several chunks and a partial last one
    settings = redis_settings(redis_server, tmp_path)
    audio = bytes(range(256)) * 20  # 5120 bytes

    async def scenario() -> None:
        a = await RedisJobStore.open(settings, tmp_path / "a")
        b = await RedisJobStore.open(settings, tmp_path / "b")
        job = _job()
        await a.create(job)
        a.audio_path(job.id).parent.mkdir(parents=True)
        a.audio_path(job.id).write_bytes(audio)
        await a.publish_audio(job.id)
        done = replace(job, status=JobStatus.SUCCEEDED, audio_bytes=len(audio), finished_at=1.0)
        await a.update(done)
        path = await b.fetch_audio(done)
        assert path == tmp_path / "b" / job.id / "audio" and path.read_bytes() == audio
        assert await b.fetch_audio(done) == path  # the local copy is reused
        await b.delete(job.id)
        assert not path.exists()
        assert await a.get(job.id) is None
        assert not await a.client.keys(f"{settings.redis_prefix}job:{job.id}*")
        await a.close()
        await b.close()

    asyncio.run(scenario())


def test_create_is_idempotent_and_queues_atomically(
    redis_server: RedisProcess, tmp_path: Path
) -> None:
    settings = redis_settings(redis_server, tmp_path)

    async def scenario() -> None:
        store = await RedisJobStore.open(settings, tmp_path)
        job = _job()
        stream = store.key("jobs", "queue")
        await store.create_queued(job, stream)
        await store.create_queued(job, stream)  # a retried call after a lost reply
        assert await store.client.xlen(stream) == 1
        assert [j.id for j in await store.page(10)] == [job.id]
        await store.close()

    asyncio.run(scenario())


def test_unreachable_redis_is_a_shared_state_error(tmp_path: Path) -> None:
    settings = Settings(
        data_dir=tmp_path, redis_url=f"redis://127.0.0.1:{free_port()}/0", redis_timeout_s=0.5
    )

    async def scenario() -> None:
        store = await RedisJobStore.open(settings, tmp_path)  # opens: connects on first use
        for call in (store.get(new_job_id()), store.create(_job()), store.page(10)):
            with pytest.raises(SharedStateError) as info:
                await call
            assert info.value.code == "unavailable" and info.value.retry_after
            assert "shared state (Redis) is unreachable" in info.value.message
        await store.close()

    asyncio.run(scenario())
