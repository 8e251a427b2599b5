"""Limit state in Redis, shared by every replica: token buckets and slot counters in Lua.

Each bucket is a hash (tokens, updated) refilled from Redis's own clock (``TIME``), so replicas
with drifting clocks agree; it expires once it would be full again. Slots are counters that
expire an hour after the last acquire, so those held by a replica that died are given back.

When Redis cannot answer, limits *fail open*: the request is let through and one warning is
logged. Refusing every request because the limit store is away would turn a Redis outage into
a full outage of synthesis, which needs no shared state.
"""

from __future__ import annotations

import logging
import math

import redis.asyncio as redis

from voxserve.redis_state import OUTAGES
from voxserve.security.limits import Quota

log = logging.getLogger(__name__)

SLOT_TTL_MS = 3_600_000

_TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local cost, limit, period = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local rate = limit / period
local b = redis.call('HMGET', KEYS[1], 'tokens', 'updated')
local tokens = tonumber(b[1]) or limit
local updated = tonumber(b[2]) or now
tokens = math.min(limit, tokens + math.max(0, now - updated) * rate)
local allowed = 0
if tokens >= cost then
  tokens = tokens - cost
  allowed = 1
end
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'updated', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((limit - tokens) / rate * 1000) + 1000)
return {allowed, tostring(tokens)}
"""

_ACQUIRE = """
local n = tonumber(redis.call('GET', KEYS[1]) or '0')
if n >= tonumber(ARGV[1]) then return 0 end
redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
"""

_RELEASE = """
local n = redis.call('DECR', KEYS[1])
if n <= 0 then redis.call('DEL', KEYS[1]) end
return n
"""


class RedisLimitBackend:
    """:class:`~voxserve.security.limits.LimitBackend` on Redis, under ``prefix``."""

    def __init__(self, client: redis.Redis, prefix: str) -> None:
        self._client = client
        self._prefix = prefix
        self._take = client.register_script(_TAKE)
        self._acquire = client.register_script(_ACQUIRE)
        self._release = client.register_script(_RELEASE)
        self._warned = False

    async def take(self, key: str, cost: float, limit: int, period_s: float) -> Quota:
        rate = limit / period_s
        try:
            allowed, left = await self._take([self._prefix + key], [cost, limit, period_s])
        except OUTAGES as exc:
            self._warn(exc)
            return Quota(True, limit, limit, 0.0, 0.0)
        tokens = float(left)
        return Quota(
            bool(allowed),
            limit,
            math.floor(tokens),
            (limit - tokens) / rate,
            0.0 if allowed else (cost - tokens) / rate,
        )

    async def acquire(self, key: str, limit: int) -> bool:
        try:
            return bool(await self._acquire([self._prefix + key], [limit, SLOT_TTL_MS]))
        except OUTAGES as exc:
            self._warn(exc)
            return True

    async def release(self, key: str) -> None:
        try:
            await self._release([self._prefix + key])
        except OUTAGES as exc:
            self._warn(exc)

    def _warn(self, exc: BaseException) -> None:
        level = logging.DEBUG if self._warned else logging.WARNING
        self._warned = True
        log.log(level, "limits are not enforced while Redis is unreachable (%s)", exc)
