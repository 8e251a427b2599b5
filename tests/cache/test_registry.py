from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from voxserve.cache.disk import DiskCache
from voxserve.cache.memory import MemoryCache
from voxserve.cache.redis_store import RedisCache
from voxserve.cache.registry import backend_names, build_cache, cache_directory, open_cache
from voxserve.errors import InputError
from voxserve.metrics import Metrics
from voxserve.settings import Settings


def settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(data_dir=tmp_path, **overrides)  # type: ignore[arg-type]


def test_auto_is_memory_in_front_of_disk_under_data_dir(tmp_path: Path) -> None:
    cache = build_cache(settings(tmp_path, cache_memory_bytes=1000), Metrics())
    assert cache is not None
    assert isinstance(cache.memory, MemoryCache) and cache.memory.max_bytes == 1000
    assert isinstance(cache.back, DiskCache)
    assert cache.back.directory == tmp_path / "cache"
    assert cache.back.max_bytes == Settings.model_fields["cache_disk_bytes"].default


def test_cache_dir_overrides_the_default(tmp_path: Path) -> None:
    assert cache_directory(settings(tmp_path, cache_dir=tmp_path / "elsewhere")) == (
        tmp_path / "elsewhere"
    )


def test_memory_only_and_off(tmp_path: Path) -> None:
    memory = build_cache(settings(tmp_path, cache_backend="memory"), Metrics())
    assert memory is not None and memory.back is None
    assert open_cache(settings(tmp_path, cache_backend="off"), Metrics()) is None
    assert {"auto", "off", "memory", "memory+disk"} <= set(backend_names())


def test_unknown_backend_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError) as info:
        build_cache(settings(tmp_path, cache_backend="floppy"), Metrics())
    assert info.value.param == "cache_backend"


def test_settings_from_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("VOXSERVE_CACHE_BACKEND", "memory+disk")
    monkeypatch.setenv("VOXSERVE_CACHE_MEMORY_BYTES", "4096")
    monkeypatch.setenv("VOXSERVE_CACHE_DISK_BYTES", "8192")
    monkeypatch.setenv("VOXSERVE_CACHE_DIR", str(tmp_path / "c"))
    s = Settings()
    assert (s.cache_backend, s.cache_memory_bytes, s.cache_disk_bytes) == (
        "memory+disk",
        4096,
        8192,
    )
    assert cache_directory(s) == tmp_path / "c"


def test_open_cache_wires_the_corrupt_counter(tmp_path: Path) -> None:
    metrics = Metrics()
    cached = open_cache(settings(tmp_path), metrics)
    assert cached is not None

    async def go() -> None:
        assert cached is not None
        _, origin = await cached.get_or_compute("k", lambda: asyncio.sleep(0, b"x" * 64))
        assert origin == "miss"
        files = [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]
        assert len(files) == 1
        files[0].write_bytes(files[0].read_bytes()[:-1])
        await cached.cache.memory.close()  # forget the memory copy: the next read goes to disk
        _, origin = await cached.get_or_compute("k", lambda: asyncio.sleep(0, b"x" * 64))
        assert origin == "miss"
        await cached.close()

    asyncio.run(go())
    assert metrics.registry.get_sample_value("voxserve_cache_corrupt_total") == 1


def test_auto_is_memory_in_front_of_redis_when_redis_url_is_set(tmp_path: Path) -> None:
    url = "redis://127.0.0.1:1/0"  # never connected to here
    cache = build_cache(settings(tmp_path, redis_url=url, redis_prefix="p:"), Metrics())
    assert cache is not None and isinstance(cache.back, RedisCache)
    assert cache.back_name == "redis" and cache.back.prefix == "p:cache:"
    assert "memory+redis" in backend_names()
    disk = build_cache(settings(tmp_path, redis_url=url, cache_backend="memory+disk"), Metrics())
    assert disk is not None and isinstance(disk.back, DiskCache)  # an explicit choice stands
    with pytest.raises(InputError, match="redis_url"):
        build_cache(settings(tmp_path, cache_backend="memory+redis"), Metrics())
