"""Webhook signatures, the address policy, and delivery with retries to a real HTTP receiver."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from voxserve.errors import InvalidWebhookError
from voxserve.jobs.model import WebhookAttempt
from voxserve.jobs.webhooks import (
    SIGNATURE_HEADER,
    TIMESTAMP_HEADER,
    WebhookSender,
    check_url,
    sign,
    verify,
)

SECRET = b"test-secret"


def test_signature_verifies_and_detects_tampering() -> None:
    now = int(time.time())
    body = b'{"id": "evt_1"}'
    signature = sign(SECRET, now, body)
    assert signature.startswith("v1=")
    assert verify(SECRET, str(now), body, signature)
    assert not verify(SECRET, str(now), body + b" ", signature)
    assert not verify(b"other", str(now), body, signature)
    assert not verify(SECRET, str(now - 3600), body, sign(SECRET, now - 3600, body))


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/hook",
        "http://localhost/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/hook",
        "http://[::ffff:127.0.0.1]/hook",
        "http://0.0.0.0/hook",
    ],
)
def test_private_addresses_are_refused_by_default(url: str) -> None:
    with pytest.raises(InvalidWebhookError, match="non-public"):
        asyncio.run(check_url(url, allow_private=False))


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://example.com/hook", "http"),
        ("file:///etc/passwd", "http"),
        ("http:///nohost", "http"),
        ("https://" + "a" * 3000 + ".com/", "longer"),
        ("http://no-such-host.invalid/hook", "resolved"),
        ("http://example.com:99999/hook", "valid"),
    ],
)
def test_malformed_urls_are_refused(url: str, message: str) -> None:
    with pytest.raises(InvalidWebhookError, match=message):
        asyncio.run(check_url(url, allow_private=True))


def test_private_addresses_allowed_by_setting() -> None:
    url = "http://127.0.0.1:8080/hook"
    assert asyncio.run(check_url(url, allow_private=True)) == url


class Receiver:
    """A local HTTP server that answers 500 to the first ``failures`` POSTs, then 204."""

    def __init__(self, failures: int) -> None:
        self.failures = failures
        self.received: list[tuple[dict[str, str], bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                outer.received.append((dict(self.headers), body))
                status = 500 if len(outer.received) <= outer.failures else 204
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver(failures=3)
    yield r
    r.close()


def _deliver(url: str, retry_for: float) -> tuple[bool, list[WebhookAttempt]]:
    attempts: list[WebhookAttempt] = []

    async def record(attempt: WebhookAttempt) -> None:
        attempts.append(attempt)

    async def run() -> bool:
        sender = WebhookSender(
            SECRET, timeout=2.0, retry_for=retry_for, backoff=0.05, allow_private=True
        )
        try:
            return await sender.deliver(url, "evt_1", b'{"ok": true}', record)
        finally:
            await sender.close()

    return asyncio.run(run()), attempts


def test_failing_receiver_gets_the_event_on_the_fourth_attempt(receiver: Receiver) -> None:
    delivered, attempts = _deliver(receiver.url, retry_for=30)
    assert delivered
    assert [a.status for a in attempts] == [500, 500, 500, 204]
    headers, body = receiver.received[-1]
    assert body == b'{"ok": true}'
    assert verify(SECRET, headers[TIMESTAMP_HEADER], body, headers[SIGNATURE_HEADER])
    assert headers["Voxserve-Event-Id"] == "evt_1"


def test_delivery_gives_up_after_its_retry_time() -> None:
    started = time.monotonic()
    delivered, attempts = _deliver("http://127.0.0.1:9/unreachable", retry_for=0.5)
    assert not delivered
    assert len(attempts) >= 2 and all(a.error == "ConnectError" for a in attempts)
    assert time.monotonic() - started < 5
