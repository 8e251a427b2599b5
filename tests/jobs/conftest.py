"""Fixtures of the job tests: every store (and queue) test runs against each backend."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from tests.support.redis import RedisProcess, redis_server, unique_prefix
from voxserve.jobs.base import JobStore
from voxserve.jobs.redis_store import RedisJobStore
from voxserve.jobs.sqlite import SqliteJobStore
from voxserve.settings import Settings

__all__ = ["StoreOpener", "open_store", "redis_server", "redis_settings"]

StoreOpener = Callable[[], Awaitable[JobStore]]


def redis_settings(server: RedisProcess, tmp_path: Path, **overrides: object) -> Settings:
    """Settings of a store on ``server`` under a key prefix of its own."""
    return Settings(
        data_dir=tmp_path,
        redis_url=server.url,
        redis_prefix=unique_prefix(),
        **overrides,  # type: ignore[arg-type]
    )


@pytest.fixture(params=["sqlite", "redis"])
def open_store(request: pytest.FixtureRequest, tmp_path: Path) -> StoreOpener:
    """Opens the backend's store on the same data each time it is called (a reopening)."""
    if request.param == "sqlite":
        return lambda: SqliteJobStore.open(tmp_path)
    settings = redis_settings(request.getfixturevalue("redis_server"), tmp_path)
    return lambda: RedisJobStore.open(settings, tmp_path)
