"""Token buckets and slots: with a fake clock in memory, and shared through a real Redis."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest

from tests.support.redis import RedisProcess, redis_server, unique_prefix
from voxserve.errors import RateLimitedError
from voxserve.redis_state import connect
from voxserve.security.limits import DAY, LimitBackend, Limiter, MemoryBackend
from voxserve.security.redis_limits import RedisLimitBackend
from voxserve.settings import Settings

__all__ = ["redis_server"]
T = TypeVar("T")


def run(coro: Awaitable[T]) -> T:
    async def wrapped() -> T:
        return await coro

    return asyncio.run(wrapped())


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _limiter(clock: Clock, **limits: int) -> Limiter:
    return Limiter(Settings(**limits), MemoryBackend(clock))  # type: ignore[arg-type]


def test_unlimited_by_default() -> None:
    limiter = Limiter(Settings())
    assert not limiter.enabled

    async def scenario() -> None:
        assert await limiter.request("addr:1") == {}
        assert await limiter.characters("addr:1", 10**9) == {}
        async with limiter.stream("addr:1"), limiter.stream("addr:1"):
            pass

    run(scenario())


def test_requests_per_minute_burst_then_refill() -> None:
    clock = Clock()
    limiter = _limiter(clock, limit_requests_per_minute=3)
    remaining = [run(limiter.request("key:a"))["RateLimit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    with pytest.raises(RateLimitedError) as refused:
        run(limiter.request("key:a"))
    assert refused.value.code == "rate_limited"
    assert refused.value.retry_after == pytest.approx(20.0)  # one request per 20 s
    assert refused.value.headers["RateLimit-Remaining"] == "0"
    assert run(limiter.request("key:b"))["RateLimit-Remaining"] == "2"  # per principal
    clock.now += 20
    headers = run(limiter.request("key:a"))
    assert headers["RateLimit-Limit"] == "3" and headers["X-RateLimit-Limit-Requests"] == "3"
    assert headers["RateLimit-Reset"] == "60" and headers["X-RateLimit-Reset-Requests"] == "60s"


def test_characters_per_day() -> None:
    clock = Clock()
    limiter = _limiter(clock, limit_characters_per_day=100)
    assert run(limiter.characters("k", 60))["X-RateLimit-Remaining-Characters"] == "40"
    with pytest.raises(RateLimitedError) as refused:
        run(limiter.characters("k", 50))
    assert refused.value.code == "character_limit"
    assert refused.value.retry_after == pytest.approx(10 / 100 * DAY)
    clock.now += DAY
    assert run(limiter.characters("k", 100))["X-RateLimit-Remaining-Characters"] == "0"
    with pytest.raises(RateLimitedError):
        run(limiter.characters("k", 101))


def test_full_buckets_are_forgotten() -> None:
    clock = Clock()
    backend = MemoryBackend(clock, prune_above=10)
    for i in range(50):
        backend.take_now(f"addr:{i}", 1, 60, 60.0)
        clock.now += 10  # each earlier bucket is full again after 1 s
    assert len(backend._buckets) <= 20


Backends = Callable[[], tuple[LimitBackend, LimitBackend]]


@pytest.fixture(params=["memory", "redis"])
def backends(request: pytest.FixtureRequest) -> Iterator[Backends]:
    """Two limiters' backends that share state (one memory backend, or two Redis clients)."""
    if request.param == "memory":
        memory = MemoryBackend()
        yield lambda: (memory, memory)
        return
    server: RedisProcess = request.getfixturevalue("redis_server")
    settings = Settings(redis_url=server.url)
    prefix = unique_prefix()
    yield lambda: (
        RedisLimitBackend(connect(settings), prefix),
        RedisLimitBackend(connect(settings), prefix),
    )


def _shared(backends: Backends, **limits: Any) -> tuple[Limiter, Limiter]:
    a, b = backends()
    settings = Settings(**limits)
    return Limiter(settings, a), Limiter(settings, b)


def test_request_limits_are_shared_between_replicas(backends: Backends) -> None:
    async def scenario() -> list[str]:
        a, b = _shared(backends, limit_requests_per_minute=4)
        seen = [(await lim.request("key:x"))["RateLimit-Remaining"] for lim in (a, b, a, b)]
        with pytest.raises(RateLimitedError) as refused:
            await b.request("key:x")
        assert 0 < refused.value.retry_after <= 15.1
        assert (await a.request("key:y"))["RateLimit-Remaining"] == "3"
        return seen

    assert run(scenario()) == ["3", "2", "1", "0"]


def test_stream_slots_are_shared_between_replicas(backends: Backends) -> None:
    async def scenario() -> None:
        a, b = _shared(backends, limit_concurrent_streams=2)
        async with a.stream("k"), b.stream("k"):
            with pytest.raises(RateLimitedError) as refused:
                async with a.stream("k"):
                    pass
            assert refused.value.code == "too_many_streams"
            async with b.stream("other"):
                pass
        async with b.stream("k"), a.stream("k"):
            pass  # released

    run(scenario())


def test_limits_fail_open_while_redis_is_unreachable() -> None:
    settings = Settings(redis_url="redis://127.0.0.1:9/0", redis_timeout_s=0.2)
    limiter = Limiter(
        Settings(limit_requests_per_minute=1, limit_concurrent_streams=1),
        RedisLimitBackend(connect(settings), "x:"),
    )

    async def scenario() -> None:
        for _ in range(3):
            await limiter.request("key:a")
        async with limiter.stream("key:a"), limiter.stream("key:a"):
            pass

    run(scenario())
