"""Fixtures of the cache tests."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import redis.asyncio as redis

from tests.support.redis import redis_server, unique_prefix
from voxserve.cache.base import AudioCache
from voxserve.cache.disk import DiskCache
from voxserve.cache.redis_store import RedisCache
from voxserve.metrics import Metrics

__all__ = ["Back", "back", "metrics", "redis_server", "sample"]


@pytest.fixture
def metrics() -> Metrics:
    return Metrics()


def sample(metrics: Metrics, name: str, **labels: str) -> float:
    """The current value of one sample of ``metrics`` (0 when it was never touched)."""
    value = metrics.registry.get_sample_value(name, labels)
    return 0.0 if value is None else value


@dataclass(frozen=True)
class Back:
    """A store that sits behind the memory layer: its layer name, and how to open it (a fresh
    object over the same stored entries each time, as after a restart)."""

    name: str
    open: Callable[[Metrics], AudioCache]


@pytest.fixture(params=["disk", "redis"])
def back(request: pytest.FixtureRequest, tmp_path: Path) -> Back:
    """Each back store in turn: the disk under ``tmp_path``, Redis under a prefix of its own."""
    if request.param == "disk":
        return Back(
            "disk",
            lambda m: DiskCache(tmp_path / "disk", 1 << 20, on_corrupt=m.cache_corrupt.inc),
        )
    url = request.getfixturevalue("redis_server").url
    prefix = unique_prefix()
    return Back("redis", lambda m: RedisCache(redis.Redis.from_url(url), prefix, 60.0))
