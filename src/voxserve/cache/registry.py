"""Cache backends by name, and the ``auto`` choice: build the cache that settings ask for."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path

from voxserve.cache.base import AudioCache
from voxserve.cache.disk import DiskCache
from voxserve.cache.layered import LayeredCache
from voxserve.cache.memory import MemoryCache
from voxserve.cache.redis_store import RedisCache
from voxserve.cache.service import CachedAudio
from voxserve.errors import InputError
from voxserve.metrics import Metrics
from voxserve.redis_state import connect
from voxserve.settings import Settings

AUTO = "memory+disk"
"""What ``cache_backend = "auto"`` means (``memory+redis`` when ``redis_url`` is set)."""

# Stores that may sit behind the memory layer, by name: "memory+<name>" selects one.
_STORES: Mapping[str, Callable[[Settings, Metrics], AudioCache]] = {
    "disk": lambda settings, metrics: DiskCache(
        cache_directory(settings),
        settings.cache_disk_bytes,
        on_corrupt=metrics.cache_corrupt.inc,
    ),
    "redis": lambda settings, metrics: RedisCache(
        connect(settings), settings.redis_prefix, settings.cache_ttl_s
    ),
}


def backend_names() -> list[str]:
    """Every accepted value of ``cache_backend``."""
    return ["auto", "off", "memory", *(f"memory+{name}" for name in _STORES)]


def cache_directory(settings: Settings) -> Path:
    """Where the disk cache lives: ``cache_dir``, or ``cache`` under ``data_dir``."""
    return settings.cache_dir if settings.cache_dir is not None else settings.data_dir / "cache"


def build_cache(settings: Settings, metrics: Metrics) -> LayeredCache | None:
    """The layers ``settings.cache_backend`` names (None for ``off``). Raises InputError."""
    choice = settings.cache_backend.strip().lower()
    if choice == "auto":
        choice = "memory+redis" if settings.redis_url else AUTO
    if choice == "off":
        return None
    if choice not in backend_names():
        raise InputError(
            f"unknown cache backend {settings.cache_backend!r}; "
            f"allowed: {', '.join(backend_names())}",
            param="cache_backend",
        )
    if choice == "memory+redis" and not settings.redis_url:
        raise InputError("cache backend memory+redis needs redis_url", param="cache_backend")
    memory = MemoryCache(settings.cache_memory_bytes)
    _, _, store = choice.partition("+")
    if not store:
        return LayeredCache(memory)
    return LayeredCache(memory, _STORES[store](settings, metrics), back_name=store)


def open_cache(settings: Settings, metrics: Metrics) -> CachedAudio | None:
    """The cache front for the service, or None when caching is off. Opens no files yet: the
    disk index is built on first use (or by ``await DiskCache.open()`` at startup)."""
    cache = build_cache(settings, metrics)
    return None if cache is None else CachedAudio(cache, metrics)
