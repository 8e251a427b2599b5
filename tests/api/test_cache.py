"""The audio cache through a real server: hits, single-flight, sentence reuse, corrupt files."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from tests.support.server import ServerProcess
from voxserve.pipeline import RunTask, UnitTask
from voxserve.scheduler.scheduler import unit_key
from voxserve.types import Prosody, Voice

ENV = {"VOXSERVE_ENGINES": "espeak", "VOXSERVE_DEFAULT_VOICE": "espeak-zh"}
GREETING = "您好，欢迎致电星河银行。"


@pytest.fixture(scope="module")
def cache_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    log = Path(tmp_path_factory.mktemp("cache")) / "server.log"
    srv = ServerProcess(ENV, workers=2, log=log).start()
    yield srv
    srv.stop()


def _metric(server: ServerProcess, name: str, labels: str = "") -> float:
    text = httpx.get(f"{server.url}/metrics").text
    pattern = rf"^{re.escape(name)}(\{{[^}}]*{re.escape(labels)}[^}}]*\}})? ([0-9.e+-]+)$"
    return sum(float(m.group(2)) for m in re.finditer(pattern, text, re.MULTILINE))


def test_second_identical_request_is_served_from_cache(cache_server: ServerProcess) -> None:
    body = {"text": "第一次请求会合成，第二次直接来自缓存。", "format": "opus"}
    first = httpx.post(f"{cache_server.url}/v1/tts", json=body)
    second = httpx.post(f"{cache_server.url}/v1/tts", json=body)
    assert first.status_code == second.status_code == 200
    assert first.headers["x-cache"] == "miss" and second.headers["x-cache"] == "memory"
    assert second.content == first.content
    assert second.headers["x-audio-duration"] == first.headers["x-audio-duration"]
    assert _metric(cache_server, "voxserve_cache_hits_total", 'layer="memory"') >= 1


def test_twenty_identical_concurrent_requests_synthesize_once(
    cache_server: ServerProcess,
) -> None:
    text = "二十个相同的请求同时到达。它们只合成一次！"
    rendered = _metric(cache_server, "voxserve_units_total", 'source="rendered"')

    async def burst() -> list[httpx.Response]:
        async with httpx.AsyncClient(base_url=cache_server.url, timeout=60) as client:
            body = {"text": text, "format": "mp3"}
            return list(
                await asyncio.gather(*(client.post("/v1/tts", json=body) for _ in range(20)))
            )

    replies = asyncio.run(burst())
    assert all(r.status_code == 200 for r in replies)
    sources = sorted(r.headers["x-cache"] for r in replies)
    assert sources.count("miss") == 1, sources
    assert set(sources) <= {"miss", "shared", "memory"}
    assert len({r.content for r in replies}) == 1
    # Two sentences, rendered once each for all twenty requests.
    assert _metric(cache_server, "voxserve_units_total", 'source="rendered"') == rendered + 2


def test_streams_reuse_cached_sentences(cache_server: ServerProcess) -> None:
    text = "流式请求按句缓存。第二次的每一句都来自缓存。"
    body = {"text": text, "format": "pcm", "stream": True}
    first = httpx.post(f"{cache_server.url}/v1/tts", json=body)
    cached = _metric(cache_server, "voxserve_units_total", 'source="cache"')
    second = httpx.post(f"{cache_server.url}/v1/tts", json=body)
    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert _metric(cache_server, "voxserve_units_total", 'source="cache"') == cached + 2


def test_a_cached_sentence_keeps_its_timestamps(cache_server: ServerProcess) -> None:
    body = {"text": "缓存的句子带着时间戳。第二次也一样。", "timestamps": True}
    first = httpx.post(f"{cache_server.url}/v1/tts", json=body, timeout=60)
    cached = _metric(cache_server, "voxserve_units_total", 'source="cache"')
    second = httpx.post(f"{cache_server.url}/v1/tts", json=body, timeout=60)
    assert first.status_code == second.status_code == 200
    assert _metric(cache_server, "voxserve_units_total", 'source="cache"') == cached + 2
    assert second.json()["tokens"] == first.json()["tokens"]
    assert second.json()["audio"] == first.json()["audio"]


def test_corrupted_cache_files_are_recomputed_not_served(tmp_path: Path) -> None:
    server = ServerProcess(ENV, workers=1, log=tmp_path / "server.log").start()
    body = {"text": GREETING, "format": "wav"}
    try:
        original = httpx.post(f"{server.url}/v1/tts", json=body)
        assert original.headers["x-cache"] == "miss"
        time.sleep(0.5)  # the disk write happens after the answer
    finally:
        server.stop()
    files = [p for p in (server.data_dir / "cache").rglob("*") if p.is_file()]
    assert files, "nothing was written to the disk cache"
    for path in files:  # flip one byte in the middle of every payload
        data = bytearray(path.read_bytes())
        data[len(data) // 2] ^= 0xFF
        path.write_bytes(bytes(data))
    server.start()
    try:
        again = httpx.post(f"{server.url}/v1/tts", json=body)
        assert again.status_code == 200 and again.headers["x-cache"] == "miss"
        assert len(again.content) == len(original.content)
        assert _metric(server, "voxserve_cache_corrupt_total") >= 1
        third = httpx.post(f"{server.url}/v1/tts", json=body)
        assert third.headers["x-cache"] == "memory" and third.content == again.content
    finally:
        server.stop()


def test_a_rebuilt_model_changes_the_unit_key() -> None:
    voice = Voice("zh-baker", "baker-zh", "zh", "Baker", 24000, model_id="aaaa")
    task = UnitTask(0, "你好。", (RunTask("你好。", voice),), Prosody(), 0.2, 24000)
    rebuilt = replace(task, runs=(RunTask("你好。", replace(voice, model_id="bbbb")),))
    assert unit_key(task) == unit_key(replace(task, index=7))  # its place does not matter
    assert unit_key(task) != unit_key(rebuilt)
