"""Per-caller limits on a real server (keys off: limits apply per client address)."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import httpx
import pytest

from tests.support.server import ServerProcess

ESPEAK = {"VOXSERVE_ENGINES": "espeak", "VOXSERVE_DEFAULT_VOICE": "espeak-zh"}
TTS = {"text": "你好。", "voice": "espeak-zh", "format": "pcm"}


@pytest.fixture(scope="module")
def rate_server() -> Iterator[ServerProcess]:
    env = {**ESPEAK, "VOXSERVE_LIMIT_REQUESTS_PER_MINUTE": "4"}
    srv = ServerProcess(env, workers=1).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def quota_server() -> Iterator[ServerProcess]:
    env = {**ESPEAK, "VOXSERVE_LIMIT_CHARACTERS_PER_DAY": "3000"}
    srv = ServerProcess(env, workers=1).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def streams_server() -> Iterator[ServerProcess]:
    srv = ServerProcess({**ESPEAK, "VOXSERVE_LIMIT_CONCURRENT_STREAMS": "1"}, workers=1).start()
    yield srv
    srv.stop()


def test_requests_per_minute(rate_server: ServerProcess) -> None:
    url = f"{rate_server.url}/v1/voices"
    answers = [httpx.get(url) for _ in range(4)]
    assert [r.status_code for r in answers] == [200] * 4
    assert [r.headers["ratelimit-remaining"] for r in answers] == ["3", "2", "1", "0"]
    assert answers[0].headers["ratelimit-limit"] == "4"
    assert answers[0].headers["x-ratelimit-limit-requests"] == "4"
    refused = httpx.get(url)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 15
    assert refused.headers["ratelimit-remaining"] == "0"
    # Health checks are not counted, and still answer.
    assert httpx.get(f"{rate_server.url}/healthz").status_code == 200


def test_characters_per_day(quota_server: ServerProcess) -> None:
    url = f"{quota_server.url}/v1/tts"
    ok = httpx.post(url, json={**TTS, "text": "好" * 2000}, timeout=60)
    assert ok.status_code == 200
    assert ok.headers["x-ratelimit-remaining-characters"] == "1000"
    over = httpx.post(url, json={**TTS, "text": "好" * 1500}, timeout=60)
    assert over.status_code == 429 and over.json()["error"]["code"] == "character_limit"
    assert int(over.headers["retry-after"]) > 60
    assert over.headers["x-ratelimit-remaining-characters"] == "1000"
    assert httpx.post(url, json={**TTS, "text": "好" * 10}, timeout=60).status_code == 200
    # Text refused as invalid is not charged.
    assert httpx.post(url, json={**TTS, "text": "好" * 5001}, timeout=60).status_code == 413
    last = httpx.post(url, json={**TTS, "text": "你" * 10}, timeout=60)
    assert last.headers["x-ratelimit-remaining-characters"] == "980"


def test_concurrent_streams(streams_server: ServerProcess) -> None:
    url = f"{streams_server.url}/v1/tts"
    # Minutes of audio, not read: the server waits on the client and holds its slot.
    body = {**TTS, "text": "一二三四五六七八九十。" * 400, "stream": True}
    opened = threading.Event()
    release = threading.Event()

    def hold_a_stream() -> None:
        with httpx.stream("POST", url, json=body, timeout=60) as r:
            assert r.status_code == 200
            opened.set()
            release.wait(30)

    holder = threading.Thread(target=hold_a_stream)
    holder.start()
    try:
        assert opened.wait(30)
        second = httpx.post(url, json=TTS, timeout=30)
        assert second.status_code == 429
        assert second.json()["error"]["code"] == "too_many_streams"
        assert second.headers["retry-after"] == "1"
    finally:
        release.set()
        holder.join()
    assert httpx.post(url, json=TTS, timeout=30).status_code == 200
