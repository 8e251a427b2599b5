"""The header deadline and size limit, and the lingering close after early answers, on both of
uvicorn's HTTP parsers (h11 and httptools)."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest
import uvicorn

from tests.support.rawhttp import RawConnection, encode_request
from tests.support.server import free_port
from tests.support.slow import seconds_until_closed
from voxserve.security import http
from voxserve.security.http import guarded_protocol
from voxserve.settings import Settings

TIMEOUT = 0.5


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while (await receive())["type"] != "lifespan.shutdown":
            await send({"type": "lifespan.startup.complete"})
        await send({"type": "lifespan.shutdown.complete"})
        return
    if scope["path"] == "/slow":
        await asyncio.sleep(TIMEOUT * 3)  # a response slower than the header deadline
    if scope["path"] == "/early":  # refuses without reading the body, and says nothing of it
        await send({"type": "http.response.start", "status": 413, "headers": []})
        await send({"type": "http.response.body", "body": b"no"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


def _bases() -> list[Any]:
    from uvicorn.protocols.http.h11_impl import H11Protocol

    bases: list[Any] = [H11Protocol]
    try:
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
    except ImportError:
        return bases
    return [*bases, HttpToolsProtocol]


@pytest.fixture(params=_bases(), ids=lambda base: base.__name__)
def port(request: pytest.FixtureRequest) -> Iterator[int]:
    settings = Settings(header_timeout_s=TIMEOUT, max_header_bytes=4096)
    number = free_port()
    config = uvicorn.Config(
        _app,
        port=number,
        http=guarded_protocol(settings, request.param),
        log_level="warning",
        lifespan="on",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "the server did not start"
        threading.Event().wait(0.02)
    yield number
    server.should_exit = True
    thread.join(10)


def _get(port: int, path: str) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
        answer = b""
        while chunk := s.recv(65536):
            answer += chunk
        return answer


def test_idle_and_trickling_connections_are_closed(port: int) -> None:
    took, answer = seconds_until_closed("127.0.0.1", port, limit=5)
    assert took < TIMEOUT + 1 and answer == b""
    slow = b"GET / HTTP/1.1\r\nHost: x\r\nX-Slow: " + b"a" * 100 + b"\r\n\r\n"
    took, answer = seconds_until_closed("127.0.0.1", port, slow, pause=0.05, limit=5)
    assert took < TIMEOUT + 1 and b"200" not in answer


def test_large_headers_are_refused(port: int) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + b"b" * 6000)
        assert s.recv(65536).startswith(b"HTTP/1.1 431")


def test_responses_slower_than_the_deadline_are_not_cut(port: int) -> None:
    assert _get(port, "/slow").startswith(b"HTTP/1.1 200")
    assert b"\r\nok\r\n" in _get(port, "/")


EARLY = encode_request("POST", "/early", headers={"Content-Length": "100000"}) + b"x" * 1000


def test_an_early_answer_closes_after_the_client_goes_quiet(
    port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http, "LINGER_IDLE_S", 0.5)
    with RawConnection(port) as conn:
        conn.send(EARLY)
        assert conn.answer().status == 413  # no Connection: close from the app; closed anyway
        assert conn.closed_by_server()  # its sending side at once: GET / below is body bytes
        for _ in range(5):  # while the client sends, the server reads on
            conn.sock.sendall(b"x" * 1000 + encode_request("GET", "/"))
            time.sleep(0.2)
        time.sleep(0.5 + 1)  # quiet for longer than LINGER_IDLE_S: the server closes for good
        with pytest.raises(OSError):  # the first write is answered by a reset, the next fails
            for _ in range(10):
                conn.sock.sendall(b"x")
                time.sleep(0.05)


def test_an_early_answer_discards_a_bounded_amount(
    port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(http, "LINGER_BYTES", 200_000)
    with RawConnection(port) as conn:
        conn.send(EARLY)
        assert conn.answer().status == 413
        with pytest.raises(OSError):  # reset once the server has discarded 200 kB
            for _ in range(1000):
                conn.sock.sendall(b"x" * 65536)
                time.sleep(0.001)
