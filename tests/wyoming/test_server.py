"""The Wyoming server of a real ``voxserve serve``, with the ``wyoming`` package as the client."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
import numpy as np
import pytest
from wyoming.client import AsyncTcpClient
from wyoming.event import Event
from wyoming.info import Describe, Info
from wyoming.ping import Ping
from wyoming.tts import (
    Synthesize,
    SynthesizeChunk,
    SynthesizeStart,
    SynthesizeStop,
    SynthesizeVoice,
)

from tests.support import aio
from tests.support.asr import Transcriber
from tests.support.server import ServerProcess, free_port

T = TypeVar("T")
TEXT = "今天天气很好，我们一起去公园散步吧。"


@pytest.fixture(scope="module")
def port() -> int:
    """The server's Wyoming port."""
    return free_port()


@pytest.fixture(scope="module")
def server(port: int) -> Iterator[ServerProcess]:
    env = {
        "VOXSERVE_ENGINES": "baker-zh,espeak",
        "VOXSERVE_CACHE_BACKEND": "off",
        "VOXSERVE_WYOMING_PORT": str(port),
    }
    srv = ServerProcess(env, workers=2).start()
    yield srv
    srv.stop()


def _run(coro: Coroutine[Any, Any, T], timeout: float = 120) -> T:
    return aio.run(coro, timeout)


async def _until(client: AsyncTcpClient, *last: str) -> list[Event]:
    """Events up to and including the first of type ``last`` (or an ``error``)."""
    events: list[Event] = []
    while True:
        event = await client.read_event()
        assert event is not None, f"connection closed after {[e.type for e in events]}"
        events.append(event)
        if event.type in (*last, "error"):
            return events


def _audio(events: list[Event]) -> tuple[np.ndarray[Any, Any], int]:
    start = next(e for e in events if e.type == "audio-start")
    assert start.data["width"] == 2 and start.data["channels"] == 1
    pcm = b"".join(e.payload or b"" for e in events if e.type == "audio-chunk")
    return np.frombuffer(pcm, dtype="<i2").astype(np.float32) / 32768, start.data["rate"]


async def _speak(port: int, text: str, voice: SynthesizeVoice | None = None) -> list[Event]:
    async with AsyncTcpClient("127.0.0.1", port) as client:
        await client.write_event(Synthesize(text=text, voice=voice).event())
        return await _until(client, "audio-stop")


def test_describe_lists_voices_with_emotions_as_speakers(server: ServerProcess, port: int) -> None:
    async def run() -> Info:
        async with AsyncTcpClient("127.0.0.1", port) as client:
            await client.write_event(Describe().event())
            return Info.from_event((await _until(client, "info"))[-1])

    program = _run(run()).tts[0]
    assert program.name == "voxserve" and program.supports_synthesize_streaming
    voices = {voice.name: voice for voice in program.voices}
    assert voices["zh-baker"].languages == ["zh"]
    speakers = [s.name for s in voices["zh-baker"].speakers or []]
    assert speakers[0] == "neutral" and {"happy", "sad", "angry"} <= set(speakers)


def test_synthesize_speaks_mandarin(
    server: ServerProcess, port: int, transcriber: Transcriber
) -> None:
    events = _run(_speak(port, TEXT, SynthesizeVoice(name="zh-baker")))
    assert events[0].type == "audio-start" and events[-1].type == "audio-stop"
    pcm, rate = _audio(events)
    assert rate == 24000
    assert 2.0 < len(pcm) / rate < 8.0  # 17 characters: a few seconds
    assert transcriber.error_rate(pcm, rate, TEXT, "zh") <= 0.10


def test_a_speaker_is_an_emotion(server: ServerProcess, port: int) -> None:
    neutral, _ = _audio(_run(_speak(port, TEXT, SynthesizeVoice(name="zh", speaker="neutral"))))
    sad, _ = _audio(_run(_speak(port, TEXT, SynthesizeVoice(name="zh", speaker="sad"))))
    assert len(sad) > len(neutral) * 1.05  # sadness speaks slower


def test_streamed_text_is_spoken_before_it_ends(server: ServerProcess, port: int) -> None:
    """The first sentence's audio arrives while the rest of the text is still to come."""

    async def run() -> tuple[list[Event], list[Event]]:
        async with AsyncTcpClient("127.0.0.1", port) as client:
            await client.write_event(SynthesizeStart(SynthesizeVoice(name="zh-baker")).event())
            for piece in ("今天天气", "很好。", "我们"):
                await client.write_event(SynthesizeChunk(piece).event())
            early = await _until(client, "audio-chunk")  # before the last text chunk is sent
            for piece in ("一起去公园", "散步吧！好"):
                await client.write_event(SynthesizeChunk(piece).event())
            # A client without streaming support sends the whole text too: it is not spoken twice.
            await client.write_event(Synthesize(text="今天天气很好。").event())
            await client.write_event(SynthesizeStop().event())
            return early, await _until(client, "synthesize-stopped")

    early, rest = _run(run())
    assert [e.type for e in early] == ["audio-start", "audio-chunk"]
    kinds = [e.type for e in rest]
    assert kinds[-2:] == ["audio-stop", "synthesize-stopped"]
    assert "error" not in kinds and "audio-start" not in kinds
    pcm, rate = _audio(early + rest)
    assert 4.0 < len(pcm) / rate < 12.0  # three sentences, once each


def test_errors_are_events_and_the_connection_stays_usable(
    server: ServerProcess, port: int
) -> None:
    async def run() -> list[str | None]:
        codes = []
        async with AsyncTcpClient("127.0.0.1", port) as client:
            for event in (
                Synthesize(text="你好。", voice=SynthesizeVoice(name="no-such-voice")).event(),
                Synthesize(
                    text="你好。", voice=SynthesizeVoice(name="zh", speaker="bored")
                ).event(),
                Synthesize(text="。。。").event(),
                Event("synthesize", data={"text": 42}),
                Event("synthesize", data={}),
                SynthesizeChunk("你好").event(),
                SynthesizeStop().event(),
                Synthesize(text="好" * 6000).event(),
            ):
                await client.write_event(event)
                codes.append((await _until(client, "never"))[-1].data.get("code"))
            await client.write_event(Ping(text="still here").event())
            pong = (await _until(client, "pong"))[-1]
            assert pong.data == {"text": "still here"}
        return codes

    assert _run(run()) == [
        "unknown_voice",
        "unknown_emotion",
        "empty_text",
        "invalid_event",
        "invalid_event",
        "invalid_event",
        "invalid_event",
        "text_too_long",
    ]


@pytest.mark.parametrize(
    "raw",
    [
        b"this is not json\n",
        b'{"type": "synthesize", "data_length": 99999999}\n',
        b'{"type": "audio-chunk", "payload_length": 99999999}\n',
        b'{"type": "' + b"x" * 70_000 + b'"}\n',
    ],
)
def test_unreadable_events_end_the_connection_with_an_error(
    server: ServerProcess, port: int, raw: bytes
) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(raw)
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    header = json.loads(answer.split(b"\n", 1)[0])
    assert header["type"] == "error"
    assert b"invalid_event" in answer
    assert httpx.get(f"{server.url}/healthz").status_code == 200


def test_twenty_wyoming_clients_beside_http_load(server: ServerProcess, port: int) -> None:
    """Every client gets its audio or an error event; the server stays healthy."""
    text = "今天天气很好。我们一起去公园散步吧！"

    async def wyoming_clients() -> list[str]:
        results = await asyncio.gather(
            *(_speak(port, text) for _ in range(20)), return_exceptions=True
        )
        return [r[-1].type if isinstance(r, list) else repr(r) for r in results]

    def http_client() -> list[int]:
        with httpx.Client(base_url=server.url, timeout=60) as client:
            body = {"text": text, "format": "pcm"}
            return [client.post("/v1/tts", json=body).status_code for _ in range(5)]

    with ThreadPoolExecutor(4) as pool:
        http = [pool.submit(http_client) for _ in range(4)]
        ends = _run(wyoming_clients(), timeout=300)
        statuses = [s for f in http for s in f.result()]
    assert set(ends) <= {"audio-stop", "error"}, ends
    assert ends.count("audio-stop") >= 1
    assert set(statuses) <= {200, 429}
    assert httpx.get(f"{server.url}/healthz").status_code == 200
    assert _run(_speak(port, "好。"))[-1].type == "audio-stop"
    metrics = httpx.get(f"{server.url}/metrics").text
    assert 'voxserve_wyoming_requests_total{kind="synthesize",outcome="ok"}' in metrics
    assert "voxserve_wyoming_connections 0.0" in metrics


def test_limits_silence_and_connection_cap() -> None:
    port = free_port()
    env = {
        "VOXSERVE_ENGINES": "espeak",
        "VOXSERVE_DEFAULT_VOICE": "espeak-zh",
        "VOXSERVE_WYOMING_PORT": str(port),
        "VOXSERVE_WYOMING_IDLE_TIMEOUT_S": "1",
        "VOXSERVE_LIMIT_REQUESTS_PER_MINUTE": "2",
        "VOXSERVE_WYOMING_MAX_CONNECTIONS": "2",
    }
    srv = ServerProcess(env, workers=1).start()
    try:
        # Limits apply as to HTTP: two requests a minute from this address.
        codes = [_run(_speak(port, "你好。"))[-1].type for _ in range(3)]
        assert codes == ["audio-stop", "audio-stop", "error"]
        with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
            started = time.monotonic()
            assert sock.recv(100) == b""
            assert 0.9 <= time.monotonic() - started < 5
        # At most two connections at once: the third is told and closed.
        with (
            socket.create_connection(("127.0.0.1", port)),
            socket.create_connection(("127.0.0.1", port)),
            socket.create_connection(("127.0.0.1", port), timeout=10) as third,
        ):
            answer = b""
            while chunk := third.recv(65536):  # the error event, then the server closes
                answer += chunk
            assert b'"overloaded"' in answer
    finally:
        srv.stop()


def test_a_client_gone_mid_stream_leaves_nothing_running(server: ServerProcess, port: int) -> None:
    async def run() -> None:
        async with AsyncTcpClient("127.0.0.1", port) as client:
            await client.write_event(SynthesizeStart().event())
            await client.write_event(SynthesizeChunk(TEXT * 20).event())
            await _until(client, "audio-chunk")
        # leaving the block closes the connection with sentences still queued

    _run(run())
    deadline = time.monotonic() + 30
    while "voxserve_queue_units 0.0" not in httpx.get(f"{server.url}/metrics").text:
        assert time.monotonic() < deadline, "units still queued after the client left"
        time.sleep(0.2)
    assert "voxserve_wyoming_connections 0.0" in httpx.get(f"{server.url}/metrics").text
