from __future__ import annotations

import asyncio

from voxserve.cache.memory import MemoryCache


def test_round_trip_and_miss() -> None:
    async def go() -> None:
        cache = MemoryCache(100)
        await cache.put("a", b"xyz")
        assert await cache.get("a") == b"xyz"
        assert await cache.get("b") is None
        assert cache.size_bytes == 3

    asyncio.run(go())


def test_evicts_least_recently_used_by_bytes() -> None:
    async def go() -> None:
        cache = MemoryCache(100)
        await cache.put("a", b"a" * 40)
        await cache.put("b", b"b" * 40)
        assert await cache.get("a") is not None  # "b" is now the least recently used
        await cache.put("c", b"c" * 40)
        assert "b" not in cache
        assert "a" in cache and "c" in cache
        assert cache.size_bytes == 80

    asyncio.run(go())


def test_one_large_entry_evicts_several_small_ones() -> None:
    async def go() -> None:
        cache = MemoryCache(100)
        for key in "abcde":
            await cache.put(key, b"." * 20)
        await cache.put("big", b"." * 70)
        assert len(cache) == 2 and "big" in cache and "e" in cache
        assert cache.size_bytes == 90

    asyncio.run(go())


def test_entry_over_budget_is_not_kept_and_keeps_the_others() -> None:
    async def go() -> None:
        cache = MemoryCache(100)
        await cache.put("a", b"a" * 50)
        await cache.put("huge", b"h" * 101)
        assert await cache.get("huge") is None
        assert await cache.get("a") == b"a" * 50

    asyncio.run(go())


def test_replacing_an_entry_updates_the_size() -> None:
    async def go() -> None:
        cache = MemoryCache(100)
        await cache.put("a", b"a" * 50)
        await cache.put("a", b"b" * 10)
        assert cache.size_bytes == 10 and len(cache) == 1
        await cache.put("a", b"c" * 200)  # too large: the old value goes too, never stale
        assert await cache.get("a") is None and cache.size_bytes == 0

    asyncio.run(go())


def test_stored_bytes_do_not_follow_the_callers_buffer() -> None:
    async def go() -> None:
        cache = MemoryCache(100)
        buffer = bytearray(b"abc")
        await cache.put("a", buffer)  # type: ignore[arg-type]
        buffer[0] = ord("z")
        assert await cache.get("a") == b"abc"

    asyncio.run(go())


def test_zero_budget_keeps_nothing() -> None:
    async def go() -> None:
        cache = MemoryCache(0)
        await cache.put("a", b"x")
        assert await cache.get("a") is None
        await cache.put("empty", b"")
        assert await cache.get("empty") == b""

    asyncio.run(go())
