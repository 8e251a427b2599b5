"""Timestamps through the HTTP API on a real server: whole JSON answers, SSE unit events and the
WebSocket's sentence_end events carry the same tokens, on the returned audio's timeline."""

from __future__ import annotations

import base64
import io
import json
from typing import Any

import httpx
import soundfile as sf
from websockets.sync.client import connect

from tests.support.server import ServerProcess

TEXT = "今天天气很好，我们去公园散步吧。明天见！"
KEYS = {"text", "orig_start", "orig_end", "spoken", "lang", "pinyin", "phonemes"}


def _timed(server: ServerProcess, **fields: Any) -> dict[str, Any]:
    body = {"text": TEXT, "voice": "zh-baker", "timestamps": True, **fields}
    r = httpx.post(f"{server.url}/v1/tts", json=body, timeout=120)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/json"
    answer: dict[str, Any] = r.json()
    return answer


def _starts(tokens: list[dict[str, Any]]) -> list[int]:
    return [t["start_ms"] for t in tokens]


def test_whole_answer_has_audio_tokens_and_sentences(server: ServerProcess) -> None:
    answer = _timed(server)
    pcm, rate = sf.read(io.BytesIO(base64.b64decode(answer["audio"])))
    assert rate == answer["sample_rate"] == 24000
    duration_ms = round(len(pcm) * 1000 / rate)
    tokens = answer["tokens"]
    assert [t["text"] for t in tokens] == [c for c in TEXT if c not in "，。！"]
    assert all(set(t) == KEYS | {"start_ms", "end_ms"} for t in tokens)
    assert all(TEXT[t["orig_start"] : t["orig_end"]] == t["text"] for t in tokens)
    assert _starts(tokens) == sorted(_starts(tokens))
    assert all(0 <= t["start_ms"] <= t["end_ms"] <= duration_ms for t in tokens)
    assert tokens[-1]["start_ms"] > duration_ms / 2  # spread over the audio, not bunched
    sentences = answer["sentences"]
    assert [s["text"] for s in sentences] == ["今天天气很好，我们去公园散步吧", "明天见"]
    assert sentences[1]["start_ms"] > sentences[0]["end_ms"]  # the pause between them
    assert sentences[1]["start_ms"] <= tokens[-3]["start_ms"]


def test_speed_and_sample_rate_move_the_timestamps_with_the_audio(server: ServerProcess) -> None:
    normal = _starts(_timed(server)["tokens"])
    resampled = _starts(_timed(server, sample_rate=16000)["tokens"])
    fast = _starts(_timed(server, speed=2.0)["tokens"])
    assert max(abs(a - b) for a, b in zip(normal, resampled, strict=True)) <= 13
    ratio = fast[-1] / normal[-1]
    assert 0.4 < ratio < 0.75, ratio


def test_sse_unit_events_carry_the_tokens_of_the_whole_answer(server: ServerProcess) -> None:
    body = {
        "text": TEXT,
        "voice": "zh-baker",
        "timestamps": True,
        "stream": True,
        "stream_format": "sse",
        "format": "pcm",
    }
    with httpx.stream("POST", f"{server.url}/v1/tts", json=body, timeout=120) as r:
        assert r.status_code == 200
        events = [json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: ")]
    units = [e for e in events if e["type"] == "unit"]
    assert len(units) == 2 and all(e["sentence"] for e in units)
    streamed = [t for e in units for t in e["tokens"]]
    whole = _timed(server)["tokens"]
    assert [t["text"] for t in streamed] == [t["text"] for t in whole]
    assert max(abs(a - b) for a, b in zip(_starts(streamed), _starts(whole), strict=True)) <= 13
    second = units[1]
    assert second["tokens"][0]["start_ms"] >= round(second["start"] * 1000)


def test_a_stream_speaks_a_long_first_sentence_s_first_clause_alone(
    server: ServerProcess,
) -> None:
    """The first audio of a stream comes sooner when its first unit is short; the tokens are
    those of the whole answer all the same."""
    text = "前方三百米进入隧道，请打开车灯，保持车距。请注意安全。"
    body = {"text": text, "voice": "zh-baker", "timestamps": True}
    sse = {**body, "stream": True, "stream_format": "sse", "format": "pcm"}
    with httpx.stream("POST", f"{server.url}/v1/tts", json=sse, timeout=120) as r:
        assert r.status_code == 200
        events = [json.loads(line[6:]) for line in r.iter_lines() if line.startswith("data: ")]
    units = [e for e in events if e["type"] == "unit"]
    assert [e["sentence"]["text"] for e in units] == [
        "前方三百米进入隧道",
        "请打开车灯，保持车距",
        "请注意安全",
    ]
    whole = httpx.post(f"{server.url}/v1/tts", json=body, timeout=120).json()
    assert [s["text"] for s in whole["sentences"]] == [
        "前方三百米进入隧道，请打开车灯，保持车距",
        "请注意安全",
    ]
    streamed = [t for e in units for t in e["tokens"]]
    assert [t["text"] for t in streamed] == [t["text"] for t in whole["tokens"]]
    assert _starts(streamed) == sorted(_starts(streamed))


def test_timestamps_on_a_raw_audio_stream_is_a_422(server: ServerProcess) -> None:
    body = {"text": TEXT, "timestamps": True, "stream": True}
    r = httpx.post(f"{server.url}/v1/tts", json=body, timeout=30)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error["code"] == "invalid_parameter" and "sse" in error["message"]


def test_websocket_sentence_end_carries_tokens(server: ServerProcess) -> None:
    url = server.url.replace("http", "ws") + "/v1/stream"
    ends = []
    with connect(url) as ws:
        ws.send(json.dumps({"type": "config", "voice": "zh-baker", "timestamps": True}))
        ws.send(json.dumps({"type": "text", "text": TEXT}))
        ws.send(json.dumps({"type": "close"}))
        for message in ws:
            if isinstance(message, str):
                event = json.loads(message)
                ends += [event] if event["type"] == "sentence_end" else []
                if event["type"] == "done":
                    break
    assert len(ends) == 2
    second = ends[1]
    assert [t["text"] for t in second["tokens"]] == ["明", "天", "见"]
    start_ms = round(second["audio_start"] * 1000)
    assert start_ms <= second["tokens"][0]["start_ms"] < round(second["audio_end"] * 1000)


def test_voices_say_how_their_timestamps_are_found(server: ServerProcess) -> None:
    voices = httpx.get(f"{server.url}/v1/voices", timeout=30).json()["voices"]
    assert {v["id"]: v["timestamps"] for v in voices} == {v["id"]: "measured" for v in voices}
