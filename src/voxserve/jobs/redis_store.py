"""The shared JobStore: job records, per-unit progress and audio in Redis, for N replicas.

Keys (``P`` is ``redis_prefix``), none with a TTL (retention is the runner's sweep):

- ``P job:<id>``: hash of ``status``, ``record`` (JSON of the other fields), ``seq`` (submission
  order) and ``updated_at``;
- ``P job:<id>:units``: hash of unit index -> ``"<chars> <seconds> <renders>"``;
- ``P job:<id>:pcm``: hash of unit index -> the unit's 16-bit samples (dropped once the file
  exists);
- ``P job:<id>:hooks``: list of webhook attempts (JSON);
- ``P job:<id>:file``: hash of chunk number -> :data:`CHUNK` bytes of the finished audio file;
- ``P jobs:all`` / ``P jobs:unfinished`` (by ``seq``) and ``P jobs:finished`` (by finish time):
  sorted sets of job ids, for listing, resuming and retention.

Where the audio lives, and why: in Redis, so that replicas share nothing but Redis (no shared
volume to provision, and a replica that dies takes nothing with it). Units are saved as hash
fields, so saving one twice replaces it and counts a render (:data:`_SAVE_UNIT` is one atomic
script). The finished file is uploaded in chunks to a temporary key and renamed into place, so
readers see a whole file or none; each replica keeps a local copy under its ``data_dir`` when it
wrote or served the file (FileResponse then answers Range requests from disk). Job audio thus
counts against Redis memory: ``job_disk_bytes`` and ``job_retention_s`` bound it.

Status changes are guarded in Redis (:data:`_UPDATE`): a cancelled job stays cancelled and a
finished one never runs again, whatever a slower replica writes afterwards. Several replicas
therefore cannot undo a cancellation or revive a finished job, and one that saves a unit of a
cancelled job is told so instead (the job comes back with its finished status).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import secrets
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import redis.asyncio as redis

from voxserve.errors import JobNotFoundError
from voxserve.jobs.base import UnitRecord
from voxserve.jobs.model import (
    Job,
    JobStatus,
    WebhookAttempt,
    WebhookState,
    request_from_dict,
    request_to_dict,
)
from voxserve.redis_state import connect, unreachable_as_unavailable
from voxserve.settings import Settings

CHUNK = 1 << 20
"""Bytes per hash field of a finished audio file (Redis commands stay small)."""
_UPLOAD_TTL_MS = 3_600_000
"""A half-uploaded file (its replica died) disappears after this."""

_LUA_FINISHED = "local finished = {succeeded = true, failed = true, cancelled = true}\n"

_CREATE = """
-- KEYS: job, all, unfinished, seq counter[, queue stream]   ARGV: id, status, record, now
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end  -- a retried call: already done
local seq = redis.call('INCR', KEYS[4])
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'record', ARGV[3], 'seq', seq, 'updated_at', ARGV[4])
redis.call('ZADD', KEYS[2], seq, ARGV[1])
redis.call('ZADD', KEYS[3], seq, ARGV[1])
if KEYS[5] then redis.call('XADD', KEYS[5], '*', 'job', ARGV[1]) end
return seq
"""

_UPDATE = (
    _LUA_FINISHED
    + """
-- KEYS: job, unfinished, finished   ARGV: id, status, record, now, finish time
local current = redis.call('HGET', KEYS[1], 'status')
if not current then return 0 end
if current == 'cancelled' and ARGV[2] ~= 'cancelled' then return -1 end
if finished[current] and not finished[ARGV[2]] then return -1 end
redis.call('HSET', KEYS[1], 'status', ARGV[2], 'record', ARGV[3], 'updated_at', ARGV[4])
if finished[ARGV[2]] then
  redis.call('ZREM', KEYS[2], ARGV[1])
  redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1])
else
  redis.call('ZADD', KEYS[2], redis.call('HGET', KEYS[1], 'seq'), ARGV[1])
  redis.call('ZREM', KEYS[3], ARGV[1])
end
return 1
"""
)

_SAVE_UNIT = (
    _LUA_FINISHED
    + """
-- KEYS: job, units, pcm   ARGV: index, chars, samples, now
local status = redis.call('HGET', KEYS[1], 'status')
if not status then return false end
if finished[status] then return status end  -- cancelled meanwhile: keep nothing
local rate = tonumber(cjson.decode(redis.call('HGET', KEYS[1], 'record'))['sample_rate']) or 0
local seconds = #ARGV[3] / 2 / math.max(1, rate)
local renders = 1
local old = redis.call('HGET', KEYS[2], ARGV[1])
if old then renders = tonumber(string.match(old, '(%d+)$')) + 1 end
local record = ARGV[2] .. ' ' .. string.format('%.17g', seconds) .. ' ' .. renders
redis.call('HSET', KEYS[2], ARGV[1], record)
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
redis.call('HSET', KEYS[1], 'updated_at', ARGV[4])
return status
"""
)

_RECORD_FIELDS = (
    "owner",
    "created_at",
    "started_at",
    "finished_at",
    "units_total",
    "sample_rate",
    "error_code",
    "error_message",
    "webhook_url",
    "audio_bytes",
    "restarts",
)


class RedisJobStore:
    """A :class:`~voxserve.jobs.base.JobStore` in Redis, with local copies of finished audio
    under ``directory``. Open with :meth:`open`; it connects on first use, so it opens (and the
    service starts) while Redis is down."""

    def __init__(self, client: redis.Redis, prefix: str, directory: Path) -> None:
        self.client = client
        self.prefix = prefix
        self.directory = directory
        self._create = client.register_script(_CREATE)
        self._update = client.register_script(_UPDATE)
        self._save_unit = client.register_script(_SAVE_UNIT)

    @classmethod
    async def open(cls, settings: Settings, directory: Path) -> RedisJobStore:
        return cls(connect(settings), settings.redis_prefix, directory)

    def key(self, *parts: str) -> str:
        """The Redis key of ``parts`` (``key("job", id, "units")`` -> ``P job:<id>:units``)."""
        return self.prefix + ":".join(parts)

    # -- records ---------------------------------------------------------------------------

    async def create(self, job: Job) -> None:
        await self.create_queued(job, None)

    @unreachable_as_unavailable
    async def create_queued(self, job: Job, stream: str | None) -> None:
        """Create ``job`` and, with ``stream``, add it to that queue in the same atomic step (a
        job is never accepted without being queued, nor queued without its record)."""
        keys = [
            self.key("job", job.id),
            self.key("jobs", "all"),
            self.key("jobs", "unfinished"),
            self.key("jobs", "seq"),
        ]
        if stream is not None:
            keys.append(stream)
        args = [job.id, job.status.value, _record(job), repr(job.updated_at)]
        await self._create(keys=keys, args=args)

    @unreachable_as_unavailable
    async def get(self, job_id: str) -> Job | None:
        return (await self._many([job_id]))[0]

    @unreachable_as_unavailable
    async def page(self, limit: int, after: str | None = None) -> list[Job]:
        everything = self.key("jobs", "all")
        if after is None:
            ids = await self.client.zrevrange(everything, 0, limit - 1)
        else:
            seq = await self.client.hget(self.key("job", after), "seq")
            if seq is None:
                return []
            ids = await self.client.zrevrangebyscore(
                everything, f"({int(seq)}", "-inf", start=0, num=limit
            )
        return await self._existing(ids)

    @unreachable_as_unavailable
    async def unfinished(self) -> list[Job]:
        return await self._existing(await self.client.zrange(self.key("jobs", "unfinished"), 0, -1))

    @unreachable_as_unavailable
    async def finished(self) -> list[Job]:
        return await self._existing(await self.client.zrange(self.key("jobs", "finished"), 0, -1))

    @unreachable_as_unavailable
    async def update(self, job: Job) -> None:
        finish = repr(job.finished_at or time.time()) if job.status.finished else ""
        await self._update(
            keys=[
                self.key("job", job.id),
                self.key("jobs", "unfinished"),
                self.key("jobs", "finished"),
            ],
            args=[job.id, job.status.value, _record(job), repr(time.time()), finish],
        )

    async def _existing(self, ids: Sequence[Any]) -> list[Job]:
        jobs = await self._many([_bytes(i).decode() for i in ids])
        return [job for job in jobs if job is not None]

    async def _many(self, ids: Sequence[str]) -> list[Job | None]:
        """Every job of ``ids`` (None for those that are gone) in one round trip."""
        if not ids:
            return []
        async with self.client.pipeline(transaction=False) as pipe:
            for job_id in ids:
                pipe.hgetall(self.key("job", job_id))
                pipe.hvals(self.key("job", job_id, "units"))
                pipe.lrange(self.key("job", job_id, "hooks"), 0, -1)
            replies = await pipe.execute()
        return [_job(job_id, *replies[3 * n : 3 * n + 3]) for n, job_id in enumerate(ids)]

    # -- units -----------------------------------------------------------------------------

    @unreachable_as_unavailable
    async def save_unit(self, job_id: str, index: int, chars: int, pcm: bytes) -> Job:
        status = await self._save_unit(
            keys=[
                self.key("job", job_id),
                self.key("job", job_id, "units"),
                self.key("job", job_id, "pcm"),
            ],
            args=[index, chars, pcm, repr(time.time())],
        )
        job = (await self._many([job_id]))[0] if status is not None else None
        if job is None:
            raise KeyError(job_id)
        return job

    @unreachable_as_unavailable
    async def save_marks(self, job_id: str, index: int, marks: bytes) -> None:
        await self.client.hset(self.key("job", job_id, "marks"), str(index), marks)

    @unreachable_as_unavailable
    async def read_marks(self, job_id: str, index: int) -> bytes | None:
        data = await self.client.hget(self.key("job", job_id, "marks"), str(index))
        return None if data is None else _bytes(data)

    @unreachable_as_unavailable
    async def save_timings(self, job_id: str, data: bytes) -> None:
        await self.client.set(self.key("job", job_id, "timings"), data)

    @unreachable_as_unavailable
    async def read_timings(self, job_id: str) -> bytes | None:
        data = await self.client.get(self.key("job", job_id, "timings"))
        return None if data is None else _bytes(data)

    @unreachable_as_unavailable
    async def units(self, job_id: str) -> list[UnitRecord]:
        found = await self.client.hgetall(self.key("job", job_id, "units"))
        records = [_unit(int(index), _bytes(value)) for index, value in found.items()]
        return sorted(records, key=lambda unit: unit.index)

    @unreachable_as_unavailable
    async def read_unit(self, job_id: str, index: int) -> bytes:
        data = await self.client.hget(self.key("job", job_id, "pcm"), str(index))
        if data is None:
            raise KeyError(f"job {job_id} has no saved unit {index}")
        return _bytes(data)

    @unreachable_as_unavailable
    async def drop_units(self, job_id: str) -> None:
        await self.client.delete(self.key("job", job_id, "pcm"), self.key("job", job_id, "marks"))

    # -- audio -----------------------------------------------------------------------------

    def audio_path(self, job_id: str) -> Path:
        """This replica's copy of the finished file (written here, or fetched by
        :meth:`fetch_audio`)."""
        return self.directory / job_id / "audio"

    @unreachable_as_unavailable
    async def publish_audio(self, job_id: str) -> None:
        """Upload the file at :meth:`audio_path` for every replica (replacing any earlier one
        at once: readers never see a mix of two uploads)."""
        path = self.audio_path(job_id)
        partial = self.key("job", job_id, "file", "upload", secrets.token_hex(6))
        with path.open("rb") as source:
            number = 0
            while True:
                chunk = await asyncio.to_thread(source.read, CHUNK)
                if chunk or not number:  # an empty file is one empty chunk
                    async with self.client.pipeline(transaction=False) as pipe:
                        pipe.hset(partial, str(number), chunk)
                        pipe.pexpire(partial, _UPLOAD_TTL_MS)
                        await pipe.execute()
                    number += 1
                if len(chunk) < CHUNK:
                    break
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.rename(partial, self.key("job", job_id, "file"))
            pipe.persist(self.key("job", job_id, "file"))
            await pipe.execute()

    @unreachable_as_unavailable
    async def fetch_audio(self, job: Job) -> Path:
        """A local copy of the finished file of ``job`` (fetched once per replica)."""
        path = self.audio_path(job.id)
        if await asyncio.to_thread(_has_size, path, job.audio_bytes):
            return path
        key = self.key("job", job.id, "file")
        chunks = await self.client.hlen(key)
        if not chunks:
            raise JobNotFoundError(job.id)
        partial = path.with_name(f"audio.{secrets.token_hex(4)}.partial")
        await asyncio.to_thread(path.parent.mkdir, parents=True, exist_ok=True)
        try:
            with partial.open("wb") as target:
                for number in range(chunks):
                    chunk = await self.client.hget(key, str(number))
                    if chunk is None:  # replaced or deleted while we read: start afresh later
                        raise JobNotFoundError(job.id)
                    await asyncio.to_thread(target.write, _bytes(chunk))
            await asyncio.to_thread(partial.replace, path)
        finally:
            await asyncio.to_thread(partial.unlink, missing_ok=True)
        return path

    # -- webhooks, deletion, shutdown ------------------------------------------------------

    @unreachable_as_unavailable
    async def add_webhook_attempt(self, job_id: str, attempt: WebhookAttempt) -> None:
        entry = [attempt.at, attempt.duration, attempt.status, attempt.error]
        await self.client.rpush(self.key("job", job_id, "hooks"), json.dumps(entry))

    @unreachable_as_unavailable
    async def delete(self, job_id: str) -> None:
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.delete(*(self.key("job", job_id, *part) for part in ((), ("units",), ("pcm",))))
            pipe.delete(self.key("job", job_id, "hooks"), self.key("job", job_id, "file"))
            pipe.delete(self.key("job", job_id, "marks"), self.key("job", job_id, "timings"))
            for index in ("all", "unfinished", "finished"):
                pipe.zrem(self.key("jobs", index), job_id)
            await pipe.execute()
        with contextlib.suppress(FileNotFoundError):
            await asyncio.to_thread(shutil.rmtree, self.directory / job_id)

    async def close(self) -> None:
        await self.client.aclose()


def _bytes(value: bytes | str) -> bytes:
    return value if isinstance(value, bytes) else value.encode()


def _has_size(path: Path, size: int) -> bool:
    try:
        return path.stat().st_size == size
    except FileNotFoundError:
        return False


def _record(job: Job) -> str:
    data: dict[str, Any] = {name: getattr(job, name) for name in _RECORD_FIELDS}
    data["request"] = request_to_dict(job.request)
    data["webhook_state"] = job.webhook_state.value if job.webhook_state else None
    return json.dumps(data, ensure_ascii=False)


def _unit(index: int, value: bytes) -> UnitRecord:
    chars, seconds, renders = value.split()
    return UnitRecord(index, int(chars), float(seconds), int(renders))


def _job(
    job_id: str, fields: dict[bytes, bytes], units: list[bytes], hooks: list[bytes]
) -> Job | None:
    if not fields:
        return None
    record = json.loads(fields[b"record"])
    saved = [_unit(0, value) for value in units]
    state = record.pop("webhook_state")
    return Job(
        id=job_id,
        request=request_from_dict(record.pop("request")),
        status=JobStatus(fields[b"status"].decode()),
        updated_at=float(fields[b"updated_at"]),
        units_done=len(saved),
        chars_done=sum(u.chars for u in saved),
        audio_seconds=sum(u.seconds for u in saved),
        webhook_state=WebhookState(state) if state else None,
        webhook_attempts=tuple(WebhookAttempt(*json.loads(h)) for h in hooks),
        **record,
    )
