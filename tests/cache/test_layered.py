from __future__ import annotations

import asyncio
from pathlib import Path

from tests.cache.conftest import Back
from voxserve.cache.disk import DiskCache
from voxserve.cache.layered import LayeredCache
from voxserve.cache.memory import MemoryCache
from voxserve.metrics import Metrics


def test_put_writes_both_layers_and_lookup_names_the_layer(tmp_path: Path) -> None:
    async def go() -> None:
        memory, disk = MemoryCache(1000), DiskCache(tmp_path, 10_000)
        cache = LayeredCache(memory, disk)
        await cache.put("a", b"abc")
        assert await memory.get("a") == b"abc"
        assert await disk.get("a") == b"abc"
        assert await cache.lookup("a") == (b"abc", "memory")
        assert await cache.lookup("b") is None
        assert cache.sizes() == {"memory": 3, "disk": disk.size_bytes}

    asyncio.run(go())


def test_back_hit_is_promoted_to_memory(back: Back, metrics: Metrics) -> None:
    async def go() -> None:
        store = back.open(metrics)
        await store.put("a", b"abc")
        await store.close()
        memory = MemoryCache(1000)
        cache = LayeredCache(memory, back.open(metrics), back_name=back.name)
        assert await cache.lookup("a") == (b"abc", back.name)
        assert await cache.lookup("a") == (b"abc", "memory")
        assert await cache.get("a") == b"abc"
        await cache.close()

    asyncio.run(go())


def test_entry_too_large_for_memory_still_lands_in_the_back(back: Back, metrics: Metrics) -> None:
    async def go() -> None:
        cache = LayeredCache(MemoryCache(10), back.open(metrics), back_name=back.name)
        await cache.put("a", b"x" * 100)
        assert await cache.lookup("a") == (b"x" * 100, back.name)
        await cache.close()

    asyncio.run(go())


def test_memory_only_and_named_back_layer() -> None:
    async def go() -> None:
        alone = LayeredCache(MemoryCache(100))
        await alone.put("a", b"1")
        assert await alone.lookup("a") == (b"1", "memory")
        assert list(alone.layers) == ["memory"]

        back = MemoryCache(100)
        await back.put("b", b"2")
        named = LayeredCache(MemoryCache(100), back, back_name="redis")
        assert await named.lookup("b") == (b"2", "redis")
        await named.close()
        assert back.size_bytes == 0

    asyncio.run(go())
