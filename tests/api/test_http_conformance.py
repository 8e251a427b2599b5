"""HTTP/1.1 conformance of early answers, over raw sockets, on both of uvicorn's parsers.

Every request below is followed on the same connection by a pipelined ``GET /healthz``. An
answer given after the whole body was read keeps the connection: the health check is answered
next. An answer given before the body was read (413 on the declared length, 408, 431, 401
before the body) says ``Connection: close`` and the server closes once the client stops
sending: nothing after it is answered, so bytes of a refused body are never parsed as a request.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import httpx
import pytest

from tests.api.test_auth import voxserve_cli
from tests.support.rawhttp import Answer, RawConnection, encode_request
from tests.support.server import ServerProcess

BODY_LIMIT = 256 * 1024  # VOXSERVE_MAX_BODY_BYTES's default
JOB_BODY_LIMIT = 200_000 * 12 + 64 * 1024  # max_job_chars's default, JSON-escaped
UPLOAD_TIMEOUT = 1.0
HEALTH = encode_request("GET", "/healthz")
CJK_TEXT = "好" * 200_000  # 600 kB of UTF-8: over the body limit
ASCII_TEXT = "a" * 200_000  # 200 kB: within the body limit, over the text limit


@pytest.fixture(scope="module", params=["h11", "httptools"])
def server(request: pytest.FixtureRequest) -> Iterator[ServerProcess]:
    env = {
        "VOXSERVE_HTTP_IMPL": request.param,
        "VOXSERVE_ENGINES": "espeak",
        "VOXSERVE_DEFAULT_VOICE": "espeak-zh",
        "VOXSERVE_CACHE_BACKEND": "off",
        "VOXSERVE_REQUIRE_API_KEY": "true",
        "VOXSERVE_UPLOAD_TIMEOUT_S": str(UPLOAD_TIMEOUT),
    }
    srv = ServerProcess(env, workers=1).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def auth(server: ServerProcess) -> dict[str, str]:
    key = voxserve_cli(server, "keys", "create", "--name", "conformance").strip()
    return {"Authorization": f"Bearer {key}"}


def _tts(text: str, auth: dict[str, str], path: str = "/v1/tts", **extra: str) -> bytes:
    body = json.dumps({"text": text, "format": "pcm", **extra}, ensure_ascii=False).encode()
    return encode_request("POST", path, body, {**auth, "Content-Type": "application/json"})


def _early(conn: RawConnection, status: int, code: str | None = None) -> Answer:
    """The next answer is an early ``status`` that closes; nothing follows it."""
    answer = conn.answer()
    assert answer.status == status, answer
    if code is not None:
        assert json.loads(answer.body)["error"]["code"] == code
    assert answer.closes, answer.headers
    assert conn.closed_by_server(), "the server answered or kept reading after an early answer"
    return answer


def _kept(conn: RawConnection, status: int, code: str | None = None) -> Answer:
    """The next answer is ``status`` after the whole body; the pipelined health check follows."""
    answer = conn.answer()
    assert answer.status == status, answer
    if code is not None:
        assert json.loads(answer.body)["error"]["code"] == code
    assert not answer.closes, answer.headers
    health = conn.answer()
    assert health.status == 200 and json.loads(health.body) == {"status": "ok"}
    return answer


def test_body_over_the_limit_by_content_length(server: ServerProcess, auth: dict[str, str]) -> None:
    with RawConnection(server.port) as conn:
        conn.send(_tts(CJK_TEXT, auth) + HEALTH)
        _early(conn, 413, "body_too_large")


def test_text_over_the_limit_within_the_body_limit(
    server: ServerProcess, auth: dict[str, str]
) -> None:
    with RawConnection(server.port) as conn:
        conn.send(_tts(ASCII_TEXT, auth) + HEALTH)
        _kept(conn, 413, "text_too_long")


def test_chunked_body_over_the_limit(server: ServerProcess, auth: dict[str, str]) -> None:
    body = json.dumps({"text": CJK_TEXT}, ensure_ascii=False).encode()
    headers = {**auth, "Content-Type": "application/json"}
    with RawConnection(server.port) as conn:
        conn.send(encode_request("POST", "/v1/tts", body, headers, chunked=True) + HEALTH)
        _early(conn, 413, "body_too_large")


def test_chunked_body_within_the_limit_keeps_the_connection(
    server: ServerProcess, auth: dict[str, str]
) -> None:
    body = json.dumps({"text": ASCII_TEXT}).encode()
    headers = {**auth, "Content-Type": "application/json"}
    with RawConnection(server.port) as conn:
        conn.send(encode_request("POST", "/v1/tts", body, headers, chunked=True) + HEALTH)
        _kept(conn, 413, "text_too_long")


def test_jobs_take_a_larger_body(server: ServerProcess, auth: dict[str, str]) -> None:
    with RawConnection(server.port) as conn:
        # 600 kB is read whole on /v1/jobs, then refused for its text (one character too many).
        conn.send(_tts(CJK_TEXT + "好", auth, path="/v1/jobs") + HEALTH)
        _kept(conn, 413, "text_too_long")
    with RawConnection(server.port) as conn:
        conn.send(_tts("好" * (JOB_BODY_LIMIT // 3 + 1), auth, path="/v1/jobs") + HEALTH)
        _early(conn, 413, "body_too_large")


def test_slow_body(server: ServerProcess, auth: dict[str, str]) -> None:
    body = json.dumps({"text": "你好。", "format": "pcm"}).encode()
    headers = {**auth, "Content-Type": "application/json", "Content-Length": str(len(body))}
    with RawConnection(server.port) as conn:
        conn.send(encode_request("POST", "/v1/tts", None, headers) + body[:5])
        started = time.monotonic()
        answer = conn.answer()
        assert answer.status == 408 and answer.closes
        assert UPLOAD_TIMEOUT * 0.9 <= time.monotonic() - started < UPLOAD_TIMEOUT + 3
        conn.send(body[5:] + HEALTH)  # the rest arrives late: discarded, never parsed
        assert conn.closed_by_server()


def test_headers_over_the_limit(server: ServerProcess) -> None:
    big = encode_request("GET", "/healthz", headers={"X-Big": "b" * (64 * 1024)})
    with RawConnection(server.port) as conn:
        conn.send(big + HEALTH)
        answer = conn.answer()
        assert answer.status == 431 and answer.closes
        assert conn.closed_by_server()


def test_headers_at_the_limit_are_read(server: ServerProcess) -> None:
    head = encode_request("GET", "/healthz", headers={"X-Big": ""})
    filler = 64 * 1024 - len(head)
    with RawConnection(server.port) as conn:
        conn.send(encode_request("GET", "/healthz", headers={"X-Big": "b" * filler}) + HEALTH)
        assert conn.answer().status == 200
        assert conn.answer().status == 200


def test_unknown_method(server: ServerProcess) -> None:
    # h11 passes any method to the app (405); httptools refuses it in the parser (400, closed).
    with RawConnection(server.port) as conn:
        conn.send(encode_request("BREW", "/healthz", b"coffee") + HEALTH)
        answer = conn.answer()
        assert answer.status in (400, 405), answer
        if answer.closes:
            assert conn.closed_by_server()
        else:
            assert conn.answer().status == 200


def test_method_not_allowed_with_a_body(server: ServerProcess, auth: dict[str, str]) -> None:
    with RawConnection(server.port) as conn:
        conn.send(encode_request("PUT", "/v1/tts", b'{"text": "x"}', auth) + HEALTH)
        _kept(conn, 405)


def test_wrong_content_type_after_the_body(server: ServerProcess, auth: dict[str, str]) -> None:
    with RawConnection(server.port) as conn:
        headers = {**auth, "Content-Type": "text/plain"}
        conn.send(encode_request("POST", "/v1/tts", b"hello", headers) + HEALTH)
        _kept(conn, 415, "unsupported_media_type")


def test_missing_key_is_answered_before_the_body(server: ServerProcess) -> None:
    body = json.dumps({"text": CJK_TEXT}, ensure_ascii=False).encode()
    with RawConnection(server.port) as conn:
        conn.send(
            encode_request("POST", "/v1/tts", body, {"Content-Type": "application/json"}) + HEALTH
        )
        _early(conn, 401, "missing_api_key")


def test_expect_continue_over_the_limit_is_refused_unread(
    server: ServerProcess, auth: dict[str, str]
) -> None:
    headers = {
        **auth,
        "Content-Type": "application/json",
        "Content-Length": str(BODY_LIMIT + 1),
        "Expect": "100-continue",
    }
    with RawConnection(server.port) as conn:
        conn.send(encode_request("POST", "/v1/tts", None, headers))
        _early(conn, 413, "body_too_large")  # no 100 Continue: the body is never asked for


def test_expect_continue_within_the_limit(server: ServerProcess, auth: dict[str, str]) -> None:
    body = json.dumps({"text": "你好。", "format": "pcm"}).encode()
    headers = {
        **auth,
        "Content-Type": "application/json",
        "Content-Length": str(len(body)),
        "Expect": "100-continue",
    }
    with RawConnection(server.port) as conn:
        conn.send(encode_request("POST", "/v1/tts", None, headers))
        assert conn.answer().status == 100
        conn.send(body + HEALTH)
        answer = _kept(conn, 200)
        assert answer.headers["content-type"].startswith("audio/pcm") and answer.body


def test_many_rounds_on_one_client(server: ServerProcess, auth: dict[str, str]) -> None:
    """An oversized request, then a health check, 1,000 times on one keep-alive client: every
    health check is answered 200 (on a new connection when the server closed the old one)."""
    body = json.dumps({"text": CJK_TEXT}, ensure_ascii=False).encode()
    refused, health = [], []
    with httpx.Client(base_url=server.url, headers=auth, timeout=10) as client:
        for _ in range(1000):
            headers = {"Content-Type": "application/json"}
            refused.append(client.post("/v1/tts", content=body, headers=headers).status_code)
            health.append(client.get("/healthz").status_code)
    assert set(refused) == {413}
    assert set(health) == {200}


def test_a_client_sending_its_whole_body_first_reads_the_answer(
    server: ServerProcess, auth: dict[str, str]
) -> None:
    """Most clients write the whole body before they read: after an early answer the server
    reads and discards what follows, so the writes succeed and the answer is there to read."""
    body = b'{"text": "' + b"a" * (4 * 1024 * 1024) + b'"}'
    headers = {**auth, "Content-Type": "application/json"}
    with RawConnection(server.port, small_buffers=True) as conn:
        conn.sock.sendall(encode_request("POST", "/v1/tts", body, headers))
        _early(conn, 413, "body_too_large")
