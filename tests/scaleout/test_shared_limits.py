"""Rate limits counted once for all replicas: a caller cannot multiply its quota by N."""

from __future__ import annotations

from pathlib import Path

import httpx

from tests.scaleout.conftest import new_prefix, replica
from tests.support.redis import RedisProcess, redis_server

__all__ = ["redis_server"]


def test_requests_per_minute_are_shared_by_two_replicas(
    redis_server: RedisProcess, tmp_path: Path
) -> None:
    prefix = new_prefix()
    limit = {"VOXSERVE_LIMIT_REQUESTS_PER_MINUTE": "4"}
    a = replica(redis_server, prefix, tmp_path / "a.log", **limit).start()
    b = replica(redis_server, prefix, tmp_path / "b.log", **limit).start()
    try:
        body = {"text": "你好。", "format": "wav"}
        statuses = [
            httpx.post(f"{server.url}/v1/tts", json=body, timeout=30).status_code
            for server in (a, b, a, b, a, b)
        ]
        refused = httpx.post(f"{b.url}/v1/tts", json=body, timeout=30)
    finally:
        a.stop()
        b.stop()
    assert statuses[:4] == [200] * 4 and statuses[4:] == [429, 429]
    assert refused.status_code == 429 and int(refused.headers["retry-after"]) >= 1
    assert refused.headers["ratelimit-remaining"] == "0"
