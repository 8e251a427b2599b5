"""Sentence-level audio cache.

Entries are keyed by :func:`~voxserve.cache.keys.cache_key` over everything that shapes the
audio (engine, model checksum, voice, normalized text, prosody, sample rate), so a rebuilt model
never meets its old entries. A memory LRU sits in front of a checksummed disk store (or of
Redis, shared by the replicas of a scaled-out service);
:class:`~voxserve.cache.service.CachedAudio` adds single-flight computation and metrics, and
:func:`~voxserve.cache.registry.open_cache` builds what the settings ask for.
"""

from voxserve.cache.base import AudioCache, OpenableCache, SizedCache
from voxserve.cache.disk import DiskCache
from voxserve.cache.keys import cache_key
from voxserve.cache.layered import LayeredCache
from voxserve.cache.memory import MemoryCache
from voxserve.cache.redis_store import RedisCache
from voxserve.cache.registry import backend_names, build_cache, cache_directory, open_cache
from voxserve.cache.service import CachedAudio
from voxserve.cache.singleflight import SingleFlight

__all__ = [
    "AudioCache",
    "CachedAudio",
    "DiskCache",
    "LayeredCache",
    "MemoryCache",
    "OpenableCache",
    "RedisCache",
    "SingleFlight",
    "SizedCache",
    "backend_names",
    "build_cache",
    "cache_directory",
    "cache_key",
    "open_cache",
]
