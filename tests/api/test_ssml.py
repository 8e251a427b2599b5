"""SSML through a real server: /v1/tts, the OpenAI route, jobs, the WebSocket and
/v1/phonemize read documents; breaks, prosody and voices change the audio; hostile documents
are 4xx and the server stays healthy."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from websockets.sync.client import connect

from tests.support.jobs import wait_job
from tests.support.server import ServerProcess
from tests.text.test_ssml import BILLION_LAUGHS, EXTERNAL


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    srv = ServerProcess({"VOXSERVE_ENGINES": "espeak,baker-zh"}, workers=1).start()
    yield srv
    srv.stop()


def _post(server: ServerProcess, path: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{server.url}{path}", json=body, timeout=60)


def _seconds(server: ServerProcess, text: str, **params: Any) -> float:
    r = _post(server, "/v1/tts", {"text": text, "format": "wav", **params})
    assert r.status_code == 200, r.text
    return float(r.headers["x-audio-duration"])


def test_breaks_and_prosody_change_the_audio(server: ServerProcess) -> None:
    plain = _seconds(server, "<speak>你好。再见。</speak>")
    paused = _seconds(server, '<speak>你好。<break time="2s"/>再见。</speak>')
    assert 1.7 < paused - plain < 2.6, (plain, paused)
    slow = _seconds(server, '<speak><prosody rate="x-slow">你好。再见。</prosody></speak>')
    assert slow > plain * 1.5
    assert _seconds(server, "<speak>你好。再见。</speak>", ssml=False) != plain  # read as text


def test_voices_emotions_and_readings_in_one_document(server: ServerProcess) -> None:
    doc = (
        '<speak xmlns:mstts="https://www.w3.org/2001/mstts">'
        '<mstts:express-as style="cheerful">今天真好！</mstts:express-as>'
        '<voice name="espeak-en">Hello there.</voice>'
        '<phoneme alphabet="py" ph="xing2 chang2">行长</phoneme>来了，请拨'
        '<say-as interpret-as="telephone">110</say-as>。</speak>'
    )
    assert _seconds(server, doc, voice="zh-baker") > 2.0
    r = _post(server, "/v1/tts", {"text": doc.replace("espeak-en", "nobody")})
    assert r.status_code == 404 and r.json()["error"]["code"] == "unknown_voice"


def test_phonemize_points_into_the_document(server: ServerProcess) -> None:
    doc = '<speak>你&amp;我<sub alias="万维网">W3C</sub><phoneme ph="hang2">行</phoneme></speak>'
    tokens = _post(server, "/v1/phonemize", {"text": doc}).json()["tokens"]
    found = [(t["text"], t["spoken"], t.get("pinyin")) for t in tokens]
    assert found == [
        ("你", "你", ["ni3"]),
        ("&amp;", "和", ["he2"]),
        ("我", "我", ["wo3"]),
        ('<sub alias="万维网">W3C</sub>', "万维网", ["wan4", "wei2", "wang3"]),
        ("行", "行", ["hang2"]),
    ]
    assert all(doc[t["orig_start"] : t["orig_end"]] == t["text"] for t in tokens)


def test_openai_route_jobs_and_websocket_read_documents(server: ServerProcess) -> None:
    doc = '<speak>你好。<break time="1s"/>再见。</speak>'
    body = {"model": "tts-1", "voice": "zh-baker", "input": doc, "response_format": "wav"}
    r = _post(server, "/v1/audio/speech", {**body, "stream": False})
    assert r.status_code == 200 and float(r.headers["x-audio-duration"]) > 1.5
    submitted = _post(server, "/v1/jobs", {"text": doc, "voice": "zh-baker"})
    assert submitted.status_code == 202, submitted.text
    job = wait_job(server, submitted.json()["id"])
    assert job["status"] == "succeeded" and job["request"]["ssml"] is True
    assert job["audio"]["duration"] == pytest.approx(
        _seconds(server, doc, voice="zh-baker"), abs=0.01
    )

    with connect(f"ws://127.0.0.1:{server.port}/v1/stream", open_timeout=10) as ws:
        ws.send(json.dumps({"type": "config", "voice": "zh-baker"}))
        assert json.loads(ws.recv(timeout=30))["type"] == "ready"
        ws.send(json.dumps({"type": "text", "text": "先说这个"}))  # buffered: spoken first
        ws.send(json.dumps({"type": "text", "text": doc}))
        ws.send(json.dumps({"type": "close"}))
        events = []
        while True:
            message = ws.recv(timeout=60)
            if isinstance(message, str):
                events.append(json.loads(message))
                if events[-1]["type"] == "done":
                    break
    spoken = [e["text"] for e in events if e["type"] == "sentence_start"]
    assert spoken == ["先说这个", doc]


@pytest.mark.parametrize(
    ("document", "status"),
    [
        (BILLION_LAUGHS, 400),
        (EXTERNAL, 400),
        ("<speak>" + "<p>" * 2_000 + "深" + "</p>" * 2_000 + "</speak>", 400),
        ("<speak>" + "<p>" * 200_000 + "深" + "</p>" * 200_000 + "</speak>", 413),
        ('<speak xmlns:x="urn:unknown"><x:thing a="b">未知的命名空间</x:thing></speak>', 200),
        ("<speak><p>未闭合</speak>", 400),
    ],
)
def test_hostile_documents_are_4xx_and_the_server_stays_healthy(
    server: ServerProcess, document: str, status: int
) -> None:
    r = httpx.post(
        f"{server.url}/v1/tts", json={"text": document, "voice": "espeak-zh"}, timeout=60
    )
    assert r.status_code == status, r.text[:300]
    if status == 400:
        assert r.json()["error"]["code"] == "invalid_markup"
    assert httpx.get(f"{server.url}/healthz", timeout=10).status_code == 200
    assert _seconds(server, "你好。", voice="espeak-zh") > 0
