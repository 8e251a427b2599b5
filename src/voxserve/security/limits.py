"""Per-caller limits: requests per minute, characters per day, concurrent synthesis requests.

A caller (a *principal*) is ``key:<id>`` when API keys are required, else ``addr:<client ip>``.
Rates are token buckets (a full bucket allows a burst of ``limit``, then ``limit`` per period,
refilled continuously); concurrency is a counter of slots.

:class:`MemoryBackend` keeps the state in this process, which is right for one server process
(voxserve's worker processes never see requests). Replicas behind a balancer share
:class:`~voxserve.security.redis_limits.RedisLimitBackend` (``VOXSERVE_REDIS_URL``).
"""

from __future__ import annotations

import contextlib
import math
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Protocol

from voxserve.errors import RateLimitedError
from voxserve.settings import Settings

MINUTE = 60.0
DAY = 86_400.0


@dataclass(frozen=True)
class Quota:
    """What taking from a bucket gave: allowed or not, and what is left."""

    allowed: bool
    limit: int
    remaining: int
    reset_s: float
    """Seconds until the bucket is full again."""
    retry_after_s: float
    """Seconds until the refused cost would be allowed (0 when allowed)."""


class LimitBackend(Protocol):
    """Where limit state lives. Implementations must make each call atomic."""

    async def take(self, key: str, cost: float, limit: int, period_s: float) -> Quota:
        """Take ``cost`` from bucket ``key`` (``limit`` per ``period_s``) if it holds enough."""
        ...

    async def acquire(self, key: str, limit: int) -> bool:
        """Take one of ``limit`` slots of ``key``; False when all are taken."""
        ...

    async def release(self, key: str) -> None:
        """Give back a slot taken by :meth:`acquire`."""
        ...


class MemoryBackend:
    """Token buckets and slot counters in a dict (one event loop: no locks needed)."""

    def __init__(
        self, clock: Callable[[], float] = time.monotonic, prune_above: int = 10_000
    ) -> None:
        self._clock = clock
        self._prune_above = prune_above
        self._buckets: dict[str, tuple[float, float]] = {}  # key -> (tokens, updated)
        self._slots: dict[str, int] = {}
        self._prune_at = prune_above

    async def take(self, key: str, cost: float, limit: int, period_s: float) -> Quota:
        return self.take_now(key, cost, limit, period_s)

    def take_now(self, key: str, cost: float, limit: int, period_s: float) -> Quota:
        """:meth:`take`, synchronously (the state is a dict in this process)."""
        now = self._clock()
        rate = limit / period_s
        tokens, updated = self._buckets.get(key, (float(limit), now))
        tokens = min(float(limit), tokens + (now - updated) * rate)
        allowed = tokens >= cost
        if allowed:
            tokens -= cost
        self._buckets[key] = (tokens, now)
        self._prune(now, rate, limit)
        return Quota(
            allowed,
            limit,
            math.floor(tokens),
            (limit - tokens) / rate,
            0.0 if allowed else (cost - tokens) / rate,
        )

    def _prune(self, now: float, rate: float, limit: int) -> None:
        """Forget buckets that are full again (they hold nothing a fresh one would not), so that
        many addresses cannot grow the dict without end."""
        if len(self._buckets) <= self._prune_at:
            return
        self._buckets = {
            k: (t, u) for k, (t, u) in self._buckets.items() if t + (now - u) * rate < limit
        }
        self._prune_at = max(self._prune_above, 2 * len(self._buckets))

    async def acquire(self, key: str, limit: int) -> bool:
        taken = self._slots.get(key, 0)
        if taken >= limit:
            return False
        self._slots[key] = taken + 1
        return True

    async def release(self, key: str) -> None:
        left = self._slots.get(key, 0) - 1
        if left > 0:
            self._slots[key] = left
        else:
            self._slots.pop(key, None)


def _seconds(value: float) -> str:
    return str(max(0, math.ceil(value)))


class Limiter:
    """The configured limits, applied to principals; each check raises RateLimitedError."""

    def __init__(self, settings: Settings, backend: LimitBackend | None = None) -> None:
        self.requests_per_minute = settings.limit_requests_per_minute
        self.characters_per_day = settings.limit_characters_per_day
        self.concurrent = settings.limit_concurrent_streams
        self.backend: LimitBackend = backend or MemoryBackend()

    @property
    def enabled(self) -> bool:
        return bool(self.requests_per_minute or self.characters_per_day or self.concurrent)

    async def request(self, principal: str) -> dict[str, str]:
        """Count one request; the rate-limit headers for the answer (empty if unlimited)."""
        if not self.requests_per_minute:
            return {}
        quota = await self.backend.take(f"rpm:{principal}", 1, self.requests_per_minute, MINUTE)
        headers = {
            # draft-ietf-httpapi-ratelimit-headers (the three-field form)...
            "RateLimit-Limit": str(quota.limit),
            "RateLimit-Remaining": str(quota.remaining),
            "RateLimit-Reset": _seconds(quota.reset_s),
            # ...and the names OpenAI's API uses, which its client libraries know.
            "X-RateLimit-Limit-Requests": str(quota.limit),
            "X-RateLimit-Remaining-Requests": str(quota.remaining),
            "X-RateLimit-Reset-Requests": _seconds(quota.reset_s) + "s",
        }
        if not quota.allowed:
            raise RateLimitedError(
                f"rate limit of {quota.limit} requests per minute reached",
                retry_after=quota.retry_after_s,
                headers=headers,
            )
        return headers

    async def characters(self, principal: str, count: int) -> dict[str, str]:
        """Charge ``count`` characters of text; the headers that tell what is left."""
        if not self.characters_per_day:
            return {}
        limit = self.characters_per_day
        quota = await self.backend.take(f"chars:{principal}", count, limit, DAY)
        headers = {
            "X-RateLimit-Limit-Characters": str(quota.limit),
            "X-RateLimit-Remaining-Characters": str(quota.remaining),
            "X-RateLimit-Reset-Characters": _seconds(quota.reset_s) + "s",
        }
        if not quota.allowed:
            raise RateLimitedError(
                f"{count} characters would go over the limit of {limit} characters per day "
                f"({quota.remaining} left)",
                retry_after=min(quota.retry_after_s, DAY),
                code="character_limit",
                headers=headers,
            )
        return headers

    @contextlib.asynccontextmanager
    async def stream(self, principal: str) -> AsyncIterator[None]:
        """Hold one of the principal's concurrent synthesis slots for the block."""
        if not self.concurrent:
            yield
            return
        key = f"streams:{principal}"
        if not await self.backend.acquire(key, self.concurrent):
            raise RateLimitedError(
                f"at most {self.concurrent} synthesis requests may run at once per key",
                retry_after=1.0,
                code="too_many_streams",
            )
        try:
            yield
        finally:
            await self.backend.release(key)
