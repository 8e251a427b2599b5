"""Redis cache: the sentence (and short response) audio shared by every replica of the service.

One Redis string per entry under ``<prefix>cache:<key>``, written with a TTL
(``cache_ttl_s``). Redis itself bounds the memory: configure ``maxmemory`` and a policy that
evicts (``allkeys-lru`` for a Redis that holds only the cache, ``volatile-lru`` when jobs share
it, since job keys carry no TTL and must never be evicted).

A cache must never fail the request it speeds up: while Redis is unreachable every ``get`` is a
miss and every ``put`` is skipped, and after a failure Redis is left alone for
:data:`PAUSE_AFTER_FAILURE_S`, so that a Redis that answers with timeouts costs one timeout per
pause rather than one per sentence.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

import redis.asyncio as redis

from voxserve.redis_state import OUTAGES

log = logging.getLogger(__name__)

PAUSE_AFTER_FAILURE_S = 1.0


class RedisCache:
    """An :class:`~voxserve.cache.base.AudioCache` in Redis. The client is this cache's own
    (closed with it)."""

    def __init__(
        self,
        client: redis.Redis,
        prefix: str,
        ttl_s: float,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.prefix = f"{prefix}cache:"
        self.ttl_ms = round(ttl_s * 1000) or None
        self.errors = 0
        """Operations that met an unreachable Redis (each one a miss or a skipped write)."""
        self._clock = clock
        self._resume_at = 0.0
        self._down = False

    async def open(self) -> None:
        """Check that Redis answers (a warning if not: the service starts anyway)."""
        if not await self._call("ping", lambda: self.client.ping()):
            log.warning("redis cache: Redis does not answer yet; serving without it meanwhile")

    async def get(self, key: str) -> bytes | None:
        data = await self._call("get", lambda: self.client.get(self.prefix + key))
        return data if isinstance(data, bytes) else None

    async def put(self, key: str, data: bytes) -> None:
        await self._call("put", lambda: self.client.set(self.prefix + key, data, px=self.ttl_ms))

    async def close(self) -> None:
        await self.client.aclose()

    async def _call(self, what: str, command: Callable[[], Awaitable[object]]) -> object:
        if self._clock() < self._resume_at:
            return None
        try:
            result = await command()
        except OUTAGES as exc:
            self.errors += 1
            self._resume_at = self._clock() + PAUSE_AFTER_FAILURE_S
            if not self._down:
                log.warning("redis cache %s failed (%s); serving without it", what, exc)
            self._down = True
            return None
        if self._down:
            log.info("redis cache is reachable again")
            self._down = False
        return result
