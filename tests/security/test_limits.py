"""Token buckets and slots, with a fake clock."""

from __future__ import annotations

import pytest

from voxserve.errors import RateLimitedError
from voxserve.security.limits import DAY, Limiter, MemoryBackend
from voxserve.settings import Settings


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
    assert limiter.request("addr:1") == {} and limiter.characters("addr:1", 10**9) == {}
    with limiter.stream("addr:1"), limiter.stream("addr:1"):
        pass


def test_requests_per_minute_burst_then_refill() -> None:
    clock = Clock()
    limiter = _limiter(clock, limit_requests_per_minute=3)
    remaining = [limiter.request("key:a")["RateLimit-Remaining"] for _ in range(3)]
    assert remaining == ["2", "1", "0"]
    with pytest.raises(RateLimitedError) as refused:
        limiter.request("key:a")
    assert refused.value.code == "rate_limited"
    assert refused.value.retry_after == pytest.approx(20.0)  # one request per 20 s
    assert refused.value.headers["RateLimit-Remaining"] == "0"
    assert limiter.request("key:b")["RateLimit-Remaining"] == "2"  # per principal
    clock.now += 20
    headers = limiter.request("key:a")
    assert headers["RateLimit-Limit"] == "3" and headers["X-RateLimit-Limit-Requests"] == "3"
    assert headers["RateLimit-Reset"] == "60" and headers["X-RateLimit-Reset-Requests"] == "60s"


def test_characters_per_day() -> None:
    clock = Clock()
    limiter = _limiter(clock, limit_characters_per_day=100)
    assert limiter.characters("k", 60)["X-RateLimit-Remaining-Characters"] == "40"
    with pytest.raises(RateLimitedError) as refused:
        limiter.characters("k", 50)
    assert refused.value.code == "character_limit"
    assert refused.value.retry_after == pytest.approx(10 / 100 * DAY)
    clock.now += DAY
    assert limiter.characters("k", 100)["X-RateLimit-Remaining-Characters"] == "0"
    with pytest.raises(RateLimitedError):
        limiter.characters("k", 101)


def test_concurrent_streams_are_slots() -> None:
    limiter = _limiter(Clock(), limit_concurrent_streams=2)
    with limiter.stream("k"), limiter.stream("k"):
        with pytest.raises(RateLimitedError) as refused, limiter.stream("k"):
            pass
        assert refused.value.code == "too_many_streams"
        with limiter.stream("other"):
            pass
    with limiter.stream("k"), limiter.stream("k"):
        pass  # released


def test_full_buckets_are_forgotten() -> None:
    clock = Clock()
    backend = MemoryBackend(clock, prune_above=10)
    for i in range(50):
        backend.take(f"addr:{i}", 1, 60, 60.0)
        clock.now += 10  # each earlier bucket is full again after 1 s
    assert len(backend._buckets) <= 20
