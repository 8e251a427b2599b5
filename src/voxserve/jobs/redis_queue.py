"""The durable job queue of a scaled-out service: a Redis stream read by one consumer group.

Every replica's runner is a consumer of the group ``runners`` on ``P jobs:queue``, named after
its host, process and a random suffix (a restarted process is a new consumer). A submitted job
is one stream entry, added in the same atomic step as its record
(:meth:`~voxserve.jobs.redis_store.RedisJobStore.create_queued`), so an accepted job is always
queued. Claiming is ``XREADGROUP`` (new entries) after ``XAUTOCLAIM`` (entries another consumer
left idle for ``job_claim_idle_s``): a replica that dies mid-job stops renewing its claim, and
the first replica to look after that idle time takes the job over and resumes it from its saved
units. A live replica renews its claim every third of the idle time (:meth:`keep`, which also
tells it when another replica has taken the job over meanwhile, after a long stall). An entry is
acked and deleted when its job has ended.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import time
from typing import Any

from redis.exceptions import ResponseError

from voxserve.jobs.model import Job
from voxserve.jobs.queue import Claim
from voxserve.jobs.redis_store import RedisJobStore
from voxserve.redis_state import unreachable_as_unavailable
from voxserve.settings import Settings

log = logging.getLogger(__name__)

GROUP = "runners"
PRUNE_EVERY_S = 600.0
"""How often a replica forgets consumers that are long gone (they hold no claims)."""
GONE_AFTER_MS = 3_600_000

# Renew a claim only while it is still ours: XCLAIM alone would steal it back from a replica
# that took the job over while this one was stalled.
_KEEP = """
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
if #pending == 0 or pending[1][2] ~= ARGV[3] then return 0 end
redis.call('XCLAIM', KEYS[1], ARGV[1], ARGV[3], 0, ARGV[2], 'JUSTID')
return 1
"""

_RELEASE = """
local pending = redis.call('XPENDING', KEYS[1], ARGV[1], ARGV[2], ARGV[2], 1)
if #pending == 0 or pending[1][2] ~= ARGV[3] then return 0 end
redis.call('XACK', KEYS[1], ARGV[1], ARGV[2])
redis.call('XDEL', KEYS[1], ARGV[2])
redis.call('XADD', KEYS[1], '*', 'job', ARGV[4])
return 1
"""


def consumer_name() -> str:
    """This process's name among the group's consumers."""
    return f"{socket.gethostname()}-{os.getpid()}-{secrets.token_hex(3)}"


class RedisJobQueue:
    """A :class:`~voxserve.jobs.queue.JobQueue` on a Redis stream, sharing the store's client."""

    def __init__(self, store: RedisJobStore, settings: Settings, consumer: str = "") -> None:
        self.store = store
        self.client = store.client
        self.stream = store.key("jobs", "queue")
        self.consumer = consumer or consumer_name()
        self.idle_ms = max(1, round(settings.job_claim_idle_s * 1000))
        self.keep_interval: float | None = settings.job_claim_idle_s / 3
        # A blocking read must end well within the socket timeout, or it reads as an outage.
        self.block_ms = max(10, round(min(1.0, settings.redis_timeout_s / 2) * 1000))
        self._group_ready = False
        self._pruned_at = time.monotonic()
        self._keep = self.client.register_script(_KEEP)
        self._release = self.client.register_script(_RELEASE)

    async def start(self) -> None:
        """Create the consumer group if it is missing (later, in :meth:`claim`, if Redis is
        down now)."""
        try:
            await self._ensure_group()
        except Exception as exc:
            log.warning("job queue: Redis is not reachable yet (%s); will keep trying", exc)

    async def submit(self, job: Job) -> None:
        await self.store.create_queued(job, self.stream)

    @unreachable_as_unavailable
    async def claim(self) -> Claim:
        while True:
            await self._ensure_group()
            try:
                claim = await self._next()
            except ResponseError as exc:
                if "NOGROUP" not in str(exc):
                    raise
                self._group_ready = False  # Redis lost its data (restarted without persistence)
                continue
            if claim is not None:
                log.info("job %s claimed by %s", claim.job_id, self.consumer)
                return claim
            if time.monotonic() - self._pruned_at > PRUNE_EVERY_S:
                await self._prune()

    async def _next(self) -> Claim | None:
        reply: Any = await self.client.xautoclaim(
            self.stream, GROUP, self.consumer, self.idle_ms, start_id="0-0", count=1
        )
        if reply[1]:
            entry_id, fields = reply[1][0]
            log.warning("job queue: claiming a job whose claim lapsed (its replica stopped)")
            return _claim(entry_id, fields)
        read: Any = await self.client.xreadgroup(
            GROUP, self.consumer, {self.stream: ">"}, count=1, block=self.block_ms
        )
        for _stream, entries in read or ():
            for entry_id, fields in entries:
                return _claim(entry_id, fields)
        return None

    @unreachable_as_unavailable
    async def keep(self, claim: Claim) -> bool:
        kept = await self._keep(keys=[self.stream], args=[GROUP, claim.token, self.consumer])
        return bool(kept)

    @unreachable_as_unavailable
    async def ack(self, claim: Claim) -> None:
        async with self.client.pipeline(transaction=True) as pipe:
            pipe.xack(self.stream, GROUP, claim.token)
            pipe.xdel(self.stream, claim.token)
            await pipe.execute()

    @unreachable_as_unavailable
    async def release(self, claim: Claim) -> None:
        await self._release(
            keys=[self.stream], args=[GROUP, claim.token, self.consumer, claim.job_id]
        )

    async def _ensure_group(self) -> None:
        if self._group_ready:
            return
        try:
            # From the stream's start: entries added before the group existed are jobs too.
            await self.client.xgroup_create(self.stream, GROUP, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
        self._group_ready = True

    async def _prune(self) -> None:
        self._pruned_at = time.monotonic()
        for consumer in await self.client.xinfo_consumers(self.stream, GROUP):
            name = _text(consumer["name"])
            if (
                name != self.consumer
                and consumer["pending"] == 0
                and consumer["idle"] > GONE_AFTER_MS
            ):
                await self.client.xgroup_delconsumer(self.stream, GROUP, name)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _claim(entry_id: bytes | str, fields: dict[bytes, bytes]) -> Claim:
    return Claim(_text(fields[b"job"]), _text(entry_id))
