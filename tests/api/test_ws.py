"""``WS /v1/stream`` against a real server."""

from __future__ import annotations

import json
import re
import threading
import time

import httpx
import numpy as np
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import ClientConnection, connect

from tests.support.server import ServerProcess

TEXT = "今天天气真好，适合出门散步。我们一起去公园吧！你觉得怎么样？"


def _ws(server: ServerProcess) -> ClientConnection:
    return connect(f"ws://127.0.0.1:{server.port}/v1/stream", open_timeout=10)


def _collect(ws: ClientConnection) -> tuple[bytes, list[dict[str, object]]]:
    audio, events = bytearray(), []
    while True:
        message = ws.recv(timeout=60)
        if isinstance(message, bytes):
            audio += message
            continue
        event = json.loads(message)
        events.append(event)
        if event["type"] == "done":
            return bytes(audio), events


def _speak_in_pieces(server: ServerProcess, size: int) -> tuple[bytes, list[dict[str, object]]]:
    with _ws(server) as ws:
        ws.send(json.dumps({"type": "config", "voice": "zh-baker", "format": "pcm"}))
        assert json.loads(ws.recv(timeout=30))["type"] == "ready"
        for i in range(0, len(TEXT), size):
            ws.send(json.dumps({"type": "text", "text": TEXT[i : i + size]}))
        ws.send(json.dumps({"type": "close"}))
        return _collect(ws)


def _pcm(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<i2").astype(np.float32)


@pytest.mark.parametrize("size", [1, 2, 3])
def test_tiny_pieces_speak_like_the_whole_text(server: ServerProcess, size: int) -> None:
    whole = httpx.post(f"{server.url}/v1/tts", json={"text": TEXT, "format": "pcm"}, timeout=60)
    streamed, events = _speak_in_pieces(server, size)
    starts = [e for e in events if e["type"] == "sentence_start"]
    assert [e["text"] for e in starts] == [
        "今天天气真好，适合出门散步。",
        "我们一起去公园吧！",
        "你觉得怎么样？",
    ]
    a, b = _pcm(whole.content), _pcm(streamed)
    assert len(b) == pytest.approx(len(a), rel=0.01)
    n = min(len(a), len(b))
    assert np.corrcoef(a[:n], b[:n])[0, 1] > 0.99


def test_audio_starts_before_the_rest_is_sent(server: ServerProcess) -> None:
    with _ws(server) as ws:
        ws.send(json.dumps({"type": "config", "format": "pcm"}))
        ws.recv(timeout=30)
        for piece in ["今天", "天气", "真好。"]:
            ws.send(json.dumps({"type": "text", "text": piece}))
        got_audio = False
        deadline = time.monotonic() + 20
        while not got_audio and time.monotonic() < deadline:
            got_audio = isinstance(ws.recv(timeout=20), bytes)
        assert got_audio, "no audio before the rest of the text"
        ws.send(json.dumps({"type": "text", "text": "然后我们回家。"}))
        ws.send(json.dumps({"type": "close"}))
        _, events = _collect(ws)
        assert events[-1]["type"] == "done"


def test_garbage_gets_an_error_event_and_the_session_goes_on(server: ServerProcess) -> None:
    with _ws(server) as ws:
        ws.send(json.dumps({"type": "config"}))
        ws.recv(timeout=30)
        ws.send("{not json")
        assert json.loads(ws.recv(timeout=10))["code"] == "invalid_json"
        ws.send(json.dumps({"type": "dance"}))
        assert json.loads(ws.recv(timeout=10))["code"] == "invalid_message"
        ws.send(json.dumps({"type": "text", "text": "你好。"}))
        ws.send(json.dumps({"type": "close"}))
        audio, _ = _collect(ws)
        assert len(audio) > 1000


def _close_code(ws: ClientConnection) -> tuple[list[dict[str, object]], int | None]:
    events = []
    with pytest.raises(ConnectionClosed) as closed:
        while True:
            message = ws.recv(timeout=10)
            if isinstance(message, str):
                events.append(json.loads(message))
    return events, closed.value.rcvd.code if closed.value.rcvd else None


def test_binary_where_text_is_expected(server: ServerProcess) -> None:
    with _ws(server) as ws:
        ws.send(json.dumps({"type": "config"}))
        ws.recv(timeout=30)
        ws.send(b"\x00\x01binary")
        events, code = _close_code(ws)
    assert code == 1003 and events[-1]["code"] == "binary_not_accepted"


def test_bad_config_is_refused(server: ServerProcess) -> None:
    with _ws(server) as ws:
        ws.send(json.dumps({"type": "config", "voice": "nobody"}))
        events, code = _close_code(ws)
    assert code == 1008 and events[-1]["code"] == "unknown_voice"


def test_oversized_message_is_closed(server: ServerProcess) -> None:
    with _ws(server) as ws:
        ws.send(json.dumps({"type": "config"}))
        ws.recv(timeout=30)
        ws.send(json.dumps({"type": "text", "text": "好" * 20_000}))
        _, code = _close_code(ws)
    assert code in (1009, 1011)


def _gauge(server: ServerProcess, name: str) -> float:
    text = httpx.get(f"{server.url}/metrics").text
    return float(re.search(rf"^{name} ([0-9.e+-]+)$", text, re.MULTILINE).group(1))  # type: ignore[union-attr]


def test_disconnect_mid_sentence_leaks_nothing(server: ServerProcess) -> None:
    for _ in range(3):
        with _ws(server) as ws:  # leaving the block closes the socket mid-sentence
            ws.send(json.dumps({"type": "config"}))
            ws.recv(timeout=30)
            ws.send(json.dumps({"type": "text", "text": TEXT * 5}))
    deadline = time.monotonic() + 10
    while _gauge(server, "voxserve_websocket_sessions") > 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gauge(server, "voxserve_websocket_sessions") == 0
    deadline = time.monotonic() + 20
    while _gauge(server, "voxserve_queue_units") > 0 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _gauge(server, "voxserve_queue_units") == 0
    assert httpx.get(f"{server.url}/healthz").status_code == 200


def test_slow_reader_is_held_back_not_buffered(server: ServerProcess) -> None:
    """A client that sends much text and reads nothing: synthesis stops once the socket buffers
    are full, and the queue stays small however much was sent."""
    sentence = "这是一个用来测试背压的句子。"
    count = 30_000
    with _ws(server) as ws:
        ws.send(json.dumps({"type": "config", "format": "pcm"}))
        ws.recv(timeout=30)
        before = _gauge(server, "voxserve_audio_seconds_total")
        threading.Thread(
            target=lambda: [
                ws.send(json.dumps({"type": "text", "text": sentence})) for _ in range(count)
            ],
            daemon=True,
        ).start()
        peak, made = _watch_until_audio_stops(server, quiet_s=3.0, limit_s=120.0)
    # A session holds at most ws_max_pending_sentences (8) sentences between reading text and
    # sending audio, so no more of its units can wait for a worker.
    assert peak <= 8
    # About 2 s of audio a sentence: what was made is what the socket buffers hold, a small
    # part of what was sent.
    assert made - before < 0.1 * count * 2, made - before


def _watch_until_audio_stops(
    server: ServerProcess, quiet_s: float, limit_s: float
) -> tuple[float, float]:
    """Sample the server until it has made no audio for ``quiet_s``: the largest number of
    units seen waiting for a worker, and the audio seconds made by then."""
    peak, made = 0.0, -1.0
    deadline = time.monotonic() + limit_s
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        peak = max(peak, _gauge(server, "voxserve_queue_units"))
        now_made = _gauge(server, "voxserve_audio_seconds_total")
        if now_made != made:
            made, quiet_since = now_made, time.monotonic()
        elif time.monotonic() - quiet_since >= quiet_s:
            return peak, made
        time.sleep(0.1)
    raise AssertionError(f"audio was still being made after {limit_s} s ({made} s made)")
