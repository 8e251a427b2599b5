"""Bad input gets a 4xx with the one error shape, and the server stays healthy."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import httpx
import pytest

from tests.support.server import ServerProcess


def _assert_error(r: httpx.Response, status: int, code: str | None = None) -> dict[str, object]:
    assert r.status_code == status, r.text
    error = r.json()["error"]
    assert set(error) == {"code", "message", "param"}
    assert error["message"]
    if code:
        assert error["code"] == code
    return dict(error)


@pytest.fixture(autouse=True)
def _still_healthy(server: ServerProcess) -> Iterator[None]:
    yield
    assert httpx.get(f"{server.url}/healthz").status_code == 200
    ok = httpx.post(f"{server.url}/v1/tts", json={"text": "好。", "voice": "espeak-zh"}, timeout=30)
    assert ok.status_code == 200


def test_malformed_json(server: ServerProcess) -> None:
    r = httpx.post(
        f"{server.url}/v1/tts",
        content=b'{"text": "hi"',
        headers={"content-type": "application/json"},
    )
    _assert_error(r, 400, "invalid_json")


def test_wrong_content_type(server: ServerProcess) -> None:
    r = httpx.post(
        f"{server.url}/v1/tts",
        content=b"text=hi",
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    _assert_error(r, 415, "unsupported_media_type")


@pytest.mark.parametrize(
    ("body", "status", "code", "param"),
    [
        ({}, 422, "invalid_parameter", "text"),
        ({"text": ""}, 422, "invalid_parameter", "text"),
        ({"text": "   \n "}, 400, "empty_text", "text"),
        ({"text": "。，！？……"}, 400, "empty_text", "text"),
        ({"text": "😀🎉"}, 400, "empty_text", "text"),
        ({"text": "你好\x07世界"}, 400, "invalid_text", "text"),
        ({"text": "好" * 5001}, 413, "text_too_long", "text"),
        ({"text": "你好", "voice": "nobody"}, 404, "unknown_voice", "voice"),
        ({"text": "你好", "emotion": "bored"}, 400, "unknown_emotion", "emotion"),
        ({"text": "你好", "format": "ogg"}, 400, "unknown_format", "format"),
        ({"text": "你好", "speed": 9}, 422, "invalid_parameter", "speed"),
        ({"text": "你好", "intensity": -1}, 422, "invalid_parameter", "intensity"),
        ({"text": "你好", "sample_rate": 1000}, 422, "invalid_parameter", "sample_rate"),
        ({"text": "你好", "speed": "fast"}, 422, "invalid_parameter", "speed"),
        ({"text": 42}, 422, "invalid_parameter", "text"),
        ({"text": "你好", "surprise_field": 1}, 422, "invalid_parameter", "surprise_field"),
    ],
)
def test_native_bad_bodies(
    server: ServerProcess, body: dict[str, object], status: int, code: str, param: str
) -> None:
    error = _assert_error(httpx.post(f"{server.url}/v1/tts", json=body, timeout=30), status, code)
    assert error["param"] == param


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
def test_nan_and_infinity(server: ServerProcess, literal: str) -> None:
    raw = f'{{"text": "你好", "speed": {literal}}}'.encode()
    r = httpx.post(
        f"{server.url}/v1/tts", content=raw, headers={"content-type": "application/json"}
    )
    assert r.status_code in (400, 422)
    _assert_error(r, r.status_code)


@pytest.mark.parametrize(
    ("body", "status", "param"),
    [
        ({"model": "tts-1", "input": "hi", "voice": "alloy", "speed": 5.0}, 422, "speed"),
        ({"model": "tts-1", "input": "hi", "voice": "alloy", "speed": 0.1}, 422, "speed"),
        ({"model": "dall-e", "input": "hi", "voice": "alloy"}, 400, "model"),
        ({"model": "tts-1", "input": "hi", "voice": "nobody"}, 404, "voice"),
        (
            {"model": "tts-1", "input": "hi", "voice": "alloy", "response_format": "ogg"},
            400,
            "response_format",
        ),
        ({"model": "tts-1", "voice": "alloy"}, 422, "input"),
    ],
)
def test_openai_bad_bodies(
    server: ServerProcess, body: dict[str, object], status: int, param: str
) -> None:
    r = httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=30)
    assert _assert_error(r, status)["param"] == param


def test_openai_ignores_unknown_fields(server: ServerProcess) -> None:
    body = {"model": "tts-1", "input": "Hi.", "voice": "echo", "user": "x", "new_field": [1]}
    r = httpx.post(f"{server.url}/v1/audio/speech", json=body, timeout=30)
    assert r.status_code == 200 and r.headers["content-type"] == "audio/mpeg"


def test_huge_body(server: ServerProcess) -> None:
    r = httpx.post(
        f"{server.url}/v1/tts",
        content=b"{" + b" " * 200_000 + b"}",
        headers={"content-type": "application/json"},
    )
    _assert_error(r, 413, "body_too_large")


def test_huge_chunked_body(server: ServerProcess) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"text": "'
        for _ in range(100):
            yield "好".encode() * 1000
        yield b'"}'

    r = httpx.post(
        f"{server.url}/v1/tts", content=chunks(), headers={"content-type": "application/json"}
    )
    _assert_error(r, 413, "body_too_large")


def test_unknown_route_and_method(server: ServerProcess) -> None:
    _assert_error(httpx.get(f"{server.url}/v1/nothing"), 404, "not_found")
    _assert_error(httpx.get(f"{server.url}/v1/tts"), 405, "method_not_allowed")


def _raw_request(server: ServerProcess, declared: int, sent: bytes) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port))
    head = (
        f"POST /v1/tts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        f"Content-Length: {declared}\r\n\r\n"
    ).encode()
    sock.sendall(head + sent)
    return sock


def test_slow_upload_gets_408(server: ServerProcess) -> None:
    sock = _raw_request(server, 100, b'{"text": ')
    try:
        sock.settimeout(10)  # the client stalls; the server gives up after 2 s
        reply = sock.recv(4096)
    finally:
        sock.close()
    assert reply.startswith(b"HTTP/1.1 408")


def test_aborted_upload_leaves_server_healthy(server: ServerProcess) -> None:
    for _ in range(5):
        _raw_request(server, 1000, b'{"text": "\xe4\xbd').close()
