"""Slow clients (slowloris) cannot hold connections: headers have a deadline and a size limit,
bodies an upload deadline; slow-but-honest requests and WebSocket sessions are not cut."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator

import httpx
import pytest
import websockets.sync.client as ws_client

from tests.support.server import ServerProcess
from tests.support.slow import seconds_until_closed

HEADER_TIMEOUT = 1.0


@pytest.fixture(scope="module")
def server() -> Iterator[ServerProcess]:
    env = {
        "VOXSERVE_ENGINES": "espeak",
        "VOXSERVE_DEFAULT_VOICE": "espeak-zh",
        "VOXSERVE_HEADER_TIMEOUT_S": str(HEADER_TIMEOUT),
        "VOXSERVE_UPLOAD_TIMEOUT_S": "4",
        "VOXSERVE_MAX_HEADER_BYTES": "8192",
    }
    srv = ServerProcess(env, workers=1).start()
    yield srv
    srv.stop()


def test_idle_connection_is_closed(server: ServerProcess) -> None:
    took, answer = seconds_until_closed("127.0.0.1", server.port)
    assert HEADER_TIMEOUT * 0.9 <= took < HEADER_TIMEOUT + 2 and answer == b""


def test_headers_sent_byte_by_byte_are_cut_off(server: ServerProcess) -> None:
    request = b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Slow: " + b"a" * 200 + b"\r\n\r\n"
    took, answer = seconds_until_closed("127.0.0.1", server.port, request, pause=0.1)
    assert took < HEADER_TIMEOUT + 2  # sending it all would take 24 s
    assert b"200 OK" not in answer


def test_the_next_request_on_a_kept_alive_connection_has_a_deadline_too(
    server: ServerProcess,
) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        first = b""
        while b'"ok"}' not in first:
            first += s.recv(65536)
        assert b"200 OK" in first
        started = time.monotonic()
        s.sendall(b"GET /hea")  # ... and nothing more
        assert s.recv(65536) == b""  # closed by the server
        assert time.monotonic() - started < HEADER_TIMEOUT + 2


def test_huge_headers_get_431(server: ServerProcess) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + b"X-Big: " + b"b" * 10_000)
        answer = s.recv(65536)
    assert answer.startswith(b"HTTP/1.1 431") or answer.startswith(b"HTTP/1.1 400")


def test_a_slow_body_within_its_own_deadline_is_served(server: ServerProcess) -> None:
    """The header deadline stops at the end of the headers: the body has upload_timeout_s."""
    body = b'{"text": "\xe4\xbd\xa0\xe5\xa5\xbd", "voice": "espeak-zh"}'
    head = (
        b"POST /v1/tts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(body)
    )
    with socket.create_connection(("127.0.0.1", server.port), timeout=20) as s:
        s.sendall(head)
        for i in range(0, len(body), 8):  # about 2 s in all: past the header deadline
            time.sleep(0.3)
            s.sendall(body[i : i + 8])
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 200"), answer[:200]


def test_a_body_that_never_ends_gets_408(server: ServerProcess) -> None:
    head = (
        b"POST /v1/tts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 1000\r\n\r\n{"
    )
    took, answer = seconds_until_closed("127.0.0.1", server.port, head, pause=0.001, limit=15)
    assert b" 408 " in answer.split(b"\r\n")[0] and took < 10


def test_websocket_sessions_outlive_the_header_deadline(server: ServerProcess) -> None:
    url = f"ws://127.0.0.1:{server.port}/v1/stream"
    with ws_client.connect(url, open_timeout=10) as ws:
        time.sleep(HEADER_TIMEOUT * 2)
        ws.send('{"type": "config", "voice": "espeak-zh", "format": "pcm"}')
        assert '"ready"' in str(ws.recv(timeout=10))


def test_normal_requests_are_unaffected(server: ServerProcess) -> None:
    with httpx.Client(base_url=server.url) as client:
        for _ in range(3):
            assert client.get("/healthz").status_code == 200
        time.sleep(HEADER_TIMEOUT * 0.5)
        assert client.get("/healthz").status_code == 200
