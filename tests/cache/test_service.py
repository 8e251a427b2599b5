from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.cache.conftest import Back, sample
from voxserve.cache.disk import HEADER_SIZE, DiskCache, file_name
from voxserve.cache.layered import LayeredCache
from voxserve.cache.memory import MemoryCache
from voxserve.cache.service import CachedAudio
from voxserve.metrics import Metrics

AUDIO = b"\x01\x02\x03\x04" * 250


class Counting:
    """A compute function that counts its calls."""

    def __init__(self, data: bytes = AUDIO, delay: float = 0.0) -> None:
        self.data = data
        self.delay = delay
        self.calls = 0

    async def __call__(self) -> bytes:
        self.calls += 1
        await asyncio.sleep(self.delay)
        return self.data


class Gated(Counting):
    """A compute function that finishes only when the test opens its gate: the test, not the
    machine's speed, decides when the computation ends."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    async def __call__(self) -> bytes:
        self.calls += 1
        await self.gate.wait()
        return self.data


async def until(condition: Callable[[], bool]) -> None:
    """Wait for ``condition`` to hold (the test fails with TimeoutError after 10 s)."""
    async with asyncio.timeout(10):
        while not condition():  # noqa: ASYNC110
            await asyncio.sleep(0.001)


def layered(directory: Path, metrics: Metrics, memory_bytes: int = 1 << 20) -> LayeredCache:
    disk = DiskCache(directory, 1 << 20, on_corrupt=metrics.cache_corrupt.inc)
    return LayeredCache(MemoryCache(memory_bytes), disk)


def layered_on(back: Back, metrics: Metrics) -> LayeredCache:
    """Memory in front of ``back`` (every back store runs the tests that take this)."""
    return LayeredCache(MemoryCache(1 << 20), back.open(metrics), back_name=back.name)


def test_miss_then_memory_hit_with_metrics(back: Back, metrics: Metrics) -> None:
    compute = Counting()

    async def go() -> None:
        cached = CachedAudio(layered_on(back, metrics), metrics)
        assert await cached.get_or_compute("k", compute) == (AUDIO, "miss")
        assert await cached.get_or_compute("k", compute) == (AUDIO, "memory")
        await cached.close()

    asyncio.run(go())
    assert compute.calls == 1
    assert sample(metrics, "voxserve_cache_misses_total") == 1
    assert sample(metrics, "voxserve_cache_hits_total", layer="memory") == 1
    assert sample(metrics, "voxserve_cache_bytes_served_total") == len(AUDIO)
    assert sample(metrics, "voxserve_cache_bytes_stored_total") == len(AUDIO)


def test_size_gauges_follow_the_layers(tmp_path: Path, metrics: Metrics) -> None:
    async def go() -> None:
        cached = CachedAudio(layered(tmp_path, metrics), metrics)
        await cached.get_or_compute("k", Counting())

    asyncio.run(go())
    assert sample(metrics, "voxserve_cache_size_bytes", layer="memory") == len(AUDIO)
    assert sample(metrics, "voxserve_cache_size_bytes", layer="disk") == HEADER_SIZE + len(AUDIO)


def test_back_hit_after_restart(back: Back, metrics: Metrics) -> None:
    compute = Counting()

    async def first() -> None:
        cached = CachedAudio(layered_on(back, Metrics()), Metrics())
        await cached.get_or_compute("k", compute)
        await cached.close()

    async def second() -> None:
        cached = CachedAudio(layered_on(back, metrics), metrics)
        assert await cached.get_or_compute("k", compute) == (AUDIO, back.name)
        assert await cached.get_or_compute("k", compute) == (AUDIO, "memory")

    asyncio.run(first())
    asyncio.run(second())
    assert compute.calls == 1
    assert sample(metrics, "voxserve_cache_hits_total", layer=back.name) == 1


def test_twenty_identical_calls_compute_once(back: Back, metrics: Metrics) -> None:
    compute = Counting(delay=0.05)

    async def go() -> list[tuple[bytes, str]]:
        cached = CachedAudio(layered_on(back, metrics), metrics)
        results = await asyncio.gather(*(cached.get_or_compute("k", compute) for _ in range(20)))
        assert cached.in_flight == 0
        return results

    results = asyncio.run(go())
    assert compute.calls == 1
    origins = sorted(origin for _, origin in results)
    assert origins == ["miss"] + ["shared"] * 19
    assert all(data == AUDIO for data, _ in results)
    assert sample(metrics, "voxserve_cache_hits_total", layer="shared") == 19
    assert sample(metrics, "voxserve_cache_misses_total") == 1
    assert sample(metrics, "voxserve_cache_bytes_stored_total") == len(AUDIO)


def _waiters(cached: CachedAudio, key: str) -> int:
    flight = cached._flight._flights.get(key)
    return 0 if flight is None else flight.waiters


class BoomError(Exception):
    pass


def test_compute_error_reaches_every_caller_and_stores_nothing(
    back: Back, metrics: Metrics
) -> None:
    async def fail() -> bytes:
        await asyncio.sleep(0.01)
        raise BoomError("engine failed")

    async def go() -> None:
        cached = CachedAudio(layered_on(back, metrics), metrics)
        results = await asyncio.gather(
            *(cached.get_or_compute("k", fail) for _ in range(5)), return_exceptions=True
        )
        assert all(isinstance(r, BoomError) for r in results)
        assert await cached.get_or_compute("k", Counting()) == (AUDIO, "miss")

    asyncio.run(go())
    assert sample(metrics, "voxserve_cache_bytes_stored_total") == len(AUDIO)


def test_cancelled_caller_does_not_break_the_others(back: Back, metrics: Metrics) -> None:
    compute = Gated()

    async def go() -> None:
        cached = CachedAudio(layered_on(back, metrics), metrics)
        # The first caller starts the computation; then the others join it (with a back store
        # over the network, lookups finish in any order: wait for each step). The computation
        # stays open until all four wait on it, however slow the lookups are.
        callers = [asyncio.create_task(cached.get_or_compute("k", compute))]
        await until(lambda: _waiters(cached, "k") == 1)
        callers += [asyncio.create_task(cached.get_or_compute("k", compute)) for _ in range(3)]
        await until(lambda: _waiters(cached, "k") == 4)
        callers[0].cancel()
        await until(lambda: _waiters(cached, "k") == 3)
        compute.gate.set()
        results = await asyncio.gather(*callers[1:])
        assert results == [(AUDIO, "shared")] * 3
        with pytest.raises(asyncio.CancelledError):
            await callers[0]
        # The first caller left, but its computation finished and was stored for later calls.
        assert await cached.get_or_compute("k", compute) == (AUDIO, "memory")

    asyncio.run(go())
    assert compute.calls == 1


@pytest.mark.parametrize("damage", ["flip", "truncate"])
def test_corrupt_disk_entry_is_recomputed_not_served(
    tmp_path: Path, metrics: Metrics, damage: str
) -> None:
    compute = Counting()
    name = file_name("k")
    path = tmp_path / name[:2] / name

    async def fill() -> None:
        await CachedAudio(layered(tmp_path, Metrics()), Metrics()).get_or_compute("k", compute)

    asyncio.run(fill())
    blob = bytearray(path.read_bytes())
    if damage == "flip":
        blob[-1] ^= 0xFF
    else:
        del blob[-10:]
    path.write_bytes(bytes(blob))

    async def reopen() -> None:
        cached = CachedAudio(layered(tmp_path, metrics), metrics)
        assert await cached.get_or_compute("k", compute) == (AUDIO, "miss")
        assert await cached.get_or_compute("k", compute) == (AUDIO, "memory")

    asyncio.run(reopen())
    assert compute.calls == 2
    assert sample(metrics, "voxserve_cache_corrupt_total") == 1
    assert path.read_bytes()[-len(AUDIO) :] == AUDIO  # rewritten intact


class BrokenCache:
    """A backend whose storage is gone: every call raises."""

    async def get(self, key: str) -> bytes | None:
        raise ConnectionError("store unreachable")

    async def put(self, key: str, data: bytes) -> None:
        raise ConnectionError("store unreachable")

    async def close(self) -> None:
        pass


def test_failing_backend_degrades_to_computing(metrics: Metrics) -> None:
    compute = Counting()

    async def go() -> None:
        cached = CachedAudio(LayeredCache(BrokenCache()), metrics)
        for _ in range(3):
            assert await cached.get_or_compute("k", compute) == (AUDIO, "miss")

    asyncio.run(go())
    assert compute.calls == 3
    assert sample(metrics, "voxserve_cache_bytes_stored_total") == 0


def test_unusable_disk_still_serves_from_memory(tmp_path: Path, metrics: Metrics) -> None:
    not_a_dir = tmp_path / "file"
    not_a_dir.write_bytes(b"")
    compute = Counting()

    async def go() -> None:
        cached = CachedAudio(layered(not_a_dir, metrics), metrics)
        assert await cached.get_or_compute("k", compute) == (AUDIO, "miss")
        assert await cached.get_or_compute("k", compute) == (AUDIO, "memory")

    asyncio.run(go())
    assert compute.calls == 1


def test_lookup_and_store_for_callers_that_share_work_themselves(
    back: Back, metrics: Metrics
) -> None:
    async def go() -> None:
        cached = CachedAudio(layered_on(back, metrics), metrics)
        await cached.open()
        assert await cached.lookup("k") is None
        await cached.store("k", AUDIO)
        assert await cached.lookup("k") == (AUDIO, "memory")

    asyncio.run(go())
    assert sample(metrics, "voxserve_cache_misses_total") == 1
    assert sample(metrics, "voxserve_cache_hits_total", layer="memory") == 1
    assert sample(metrics, "voxserve_cache_bytes_stored_total") == len(AUDIO)
    assert sample(metrics, "voxserve_cache_bytes_served_total") == len(AUDIO)


def test_open_indexes_the_disk_before_first_use(tmp_path: Path, metrics: Metrics) -> None:
    async def fill() -> None:
        await DiskCache(tmp_path, 1 << 20).put("k", AUDIO)

    async def go() -> None:
        cache = layered(tmp_path, metrics)
        await CachedAudio(cache, metrics).open()
        assert cache.sizes()["disk"] == HEADER_SIZE + len(AUDIO)

    asyncio.run(fill())
    asyncio.run(go())
