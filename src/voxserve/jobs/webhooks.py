"""Webhooks: the address policy for their URLs, HMAC signatures, and delivery with retries.

An event is POSTed as JSON with three headers:

- ``Voxserve-Event-Id``: the event's id (the same on every attempt: receivers can deduplicate);
- ``Voxserve-Timestamp``: Unix seconds when the attempt was signed;
- ``Voxserve-Signature``: ``v1=`` and the hex HMAC-SHA256, keyed with the webhook secret, of
  ``"{timestamp}.{body}"`` (the raw body bytes).

A receiver verifies with :func:`verify` (or the same three lines in any language) and should
refuse timestamps more than a few minutes old, so a captured request cannot be replayed later.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import ipaddress
import logging
import os
import random
import secrets
import socket
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from urllib.parse import urlsplit

import httpx

from voxserve.errors import InvalidWebhookError
from voxserve.jobs.model import WebhookAttempt

log = logging.getLogger(__name__)

MAX_URL_CHARS = 2048
MAX_BACKOFF_S = 600.0
SIGNATURE_HEADER = "Voxserve-Signature"
TIMESTAMP_HEADER = "Voxserve-Timestamp"
EVENT_ID_HEADER = "Voxserve-Event-Id"


def sign(secret: bytes, timestamp: int, body: bytes) -> str:
    """The ``Voxserve-Signature`` header value for ``body`` sent at ``timestamp``."""
    mac = hmac.new(secret, str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "v1=" + mac.hexdigest()


def verify(
    secret: bytes, timestamp: str, body: bytes, signature: str, tolerance: float = 300
) -> bool:
    """Whether ``signature`` is right for ``body`` and ``timestamp`` is recent (receiver side)."""
    if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, int(timestamp), body), signature)


def load_secret(configured: str, data_dir: Path) -> bytes:
    """The configured secret, or one made once and kept in ``data_dir/webhook-secret`` (0600)."""
    if configured:
        return configured.encode()
    path = data_dir / "webhook-secret"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        os.write(fd, secrets.token_hex(32).encode())
        os.close(fd)
    return path.read_text(encoding="ascii").strip().encode()


async def check_url(url: str, allow_private: bool) -> str:
    """``url`` if it is an http(s) URL whose host resolves only to public addresses.

    Raises :class:`InvalidWebhookError`. With ``allow_private``, any resolvable host is accepted.
    """
    if len(url) > MAX_URL_CHARS:
        raise InvalidWebhookError(f"webhook_url is longer than {MAX_URL_CHARS} characters")
    try:
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise InvalidWebhookError("webhook_url is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidWebhookError("webhook_url must be an http:// or https:// URL")
    addresses = await _resolve(parts.hostname, port)
    if not allow_private:
        for address in addresses:
            if not address.is_global or address.is_multicast:
                raise InvalidWebhookError(
                    f"webhook_url resolves to a non-public address ({address}); "
                    "the server refuses those unless VOXSERVE_WEBHOOK_ALLOW_PRIVATE is set"
                )
    return url


async def _resolve(host: str, port: int) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise InvalidWebhookError(f"webhook_url host {host!r} cannot be resolved") from None
    found = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        found.append(address)
    return found


Recorder = Callable[[WebhookAttempt], Awaitable[None]]


class WebhookSender:
    """Delivers signed events, retrying with exponential backoff and full jitter."""

    def __init__(
        self,
        secret: bytes,
        *,
        timeout: float,
        retry_for: float,
        backoff: float,
        allow_private: bool,
    ) -> None:
        self.secret = secret
        self.retry_for = retry_for
        self.backoff = backoff
        self.allow_private = allow_private
        # No redirects: a public URL must not bounce the request to a private address.
        self._client = httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False)

    async def deliver(self, url: str, event_id: str, body: bytes, record: Recorder) -> bool:
        """POST ``body`` until a 2xx answer or ``retry_for`` seconds have passed."""
        deadline = time.monotonic() + self.retry_for
        attempt = 0
        while True:
            result = await self._attempt(url, event_id, body)
            await record(result)
            if result.status is not None and 200 <= result.status < 300:
                return True
            delay = random.uniform(0, min(MAX_BACKOFF_S, self.backoff * 2**attempt))
            attempt += 1
            if time.monotonic() + delay > deadline:
                return False
            await asyncio.sleep(delay)

    async def _attempt(self, url: str, event_id: str, body: bytes) -> WebhookAttempt:
        started, begun = time.time(), time.perf_counter()
        status: int | None = None
        error: str | None = None
        try:
            # Checked again at each attempt: the name may resolve elsewhere by now.
            await check_url(url, self.allow_private)
            timestamp = int(time.time())
            headers = {
                "Content-Type": "application/json",
                EVENT_ID_HEADER: event_id,
                TIMESTAMP_HEADER: str(timestamp),
                SIGNATURE_HEADER: sign(self.secret, timestamp, body),
            }
            response = await self._client.post(url, content=body, headers=headers)
            status = response.status_code
        except InvalidWebhookError as exc:
            error = exc.message
        except httpx.HTTPError as exc:
            error = type(exc).__name__
        return WebhookAttempt(started, time.perf_counter() - begun, status, error)

    async def close(self) -> None:
        await self._client.aclose()
