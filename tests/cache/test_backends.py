"""The AudioCache contract, on every backend; and the Redis cache when Redis is away."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
import redis.asyncio as redis

from tests.support.redis import RedisProcess, redis_process, unique_prefix
from tests.support.server import free_port
from voxserve.cache.base import AudioCache
from voxserve.cache.disk import DiskCache
from voxserve.cache.memory import MemoryCache
from voxserve.cache.redis_store import PAUSE_AFTER_FAILURE_S, RedisCache


@pytest.fixture(params=["memory", "disk", "redis"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], AudioCache]:
    """Each backend in turn (a new object on the same entries at each call)."""
    if request.param == "memory":
        memory = MemoryCache(1 << 20)
        return lambda: memory
    if request.param == "disk":
        return lambda: DiskCache(tmp_path, 1 << 20)
    url, prefix = request.getfixturevalue("redis_server").url, unique_prefix()
    return lambda: RedisCache(redis.Redis.from_url(url), prefix, 60.0)


def test_round_trip_replace_miss_and_empty_values(store: Callable[[], AudioCache]) -> None:
    async def go() -> None:
        cache = store()
        assert await cache.get("absent") is None
        await cache.put("a", b"first")
        await cache.put("a", bytearray(b"second"))  # type: ignore[arg-type]
        await cache.put("empty", b"")
        assert await cache.get("a") == b"second"
        assert await cache.get("empty") == b""
        big = bytes(range(256)) * 400  # 100 KB, a few seconds of audio
        await cache.put("big", big)
        assert await cache.get("big") == big

    asyncio.run(go())


def test_redis_entries_expire(redis_server: RedisProcess) -> None:
    async def go() -> None:
        prefix = unique_prefix()
        cache = RedisCache(redis.Redis.from_url(redis_server.url), prefix, ttl_s=0.2)
        await cache.put("k", b"v")
        ttl = await cache.client.pttl(f"{prefix}cache:k")
        assert 0 < ttl <= 200
        await asyncio.sleep(0.3)
        assert await cache.get("k") is None
        forever = RedisCache(redis.Redis.from_url(redis_server.url), prefix, ttl_s=0)
        await forever.put("k", b"v")
        assert await forever.client.pttl(f"{prefix}cache:k") == -1  # no TTL: maxmemory evicts
        await cache.close()
        await forever.close()

    asyncio.run(go())


def test_redis_away_is_a_miss_then_recovers(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """While Redis is down: misses and skipped writes, one warning, no exception; then it is
    used again by itself once it is back (after the pause that spares a dead Redis)."""
    with redis_process() as server:
        url = server.url

        async def go() -> None:
            client = redis.Redis.from_url(url, socket_connect_timeout=0.5, socket_timeout=0.5)
            cache = RedisCache(client, unique_prefix(), 60.0)
            await cache.put("k", b"v")
            server.stop()
            for _ in range(5):
                assert await cache.get("k") is None
                await cache.put("k2", b"x")
            assert cache.errors == 1  # the rest skipped Redis during the pause
            server.start()
            await asyncio.sleep(PAUSE_AFTER_FAILURE_S + 0.1)
            await cache.put("k", b"back")
            assert await cache.get("k") == b"back"
            await cache.close()

        with caplog.at_level(logging.INFO, logger="voxserve.cache.redis_store"):
            asyncio.run(go())
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "serving without it" in warnings[0].getMessage()
    assert any("reachable again" in r.getMessage() for r in caplog.records)


def test_unreachable_redis_never_raises() -> None:
    async def go() -> None:
        client = redis.Redis.from_url(f"redis://127.0.0.1:{free_port()}/0")
        cache = RedisCache(client, "x:", 60.0)
        await cache.open()
        assert await cache.get("k") is None
        await cache.put("k", b"v")
        await cache.close()

    asyncio.run(go())
