"""ASGI middleware: request ids, body size and upload time limits, early answers, metrics."""

from __future__ import annotations

import asyncio
import itertools
import logging
import re
import secrets
import time
from collections.abc import Mapping

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voxserve import logs
from voxserve.api.errors import error_response
from voxserve.metrics import Metrics

access_log = logging.getLogger("voxserve.access")

# An incoming X-Request-Id (from a gateway) is kept only if it cannot forge log lines.
_SAFE_REQUEST_ID = re.compile(rb"[A-Za-z0-9._:-]{8,64}")


class _BodyRefusedError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


class LimitsMiddleware:
    """Read the whole body first, refusing one over ``max_bytes`` (413) or slower than
    ``timeout`` seconds (408); the app then gets it at once and never waits on a slow client."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        timeout: float,
        path_limits: Mapping[str, int] | None = None,
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout
        self.path_limits = dict(path_limits or {})
        """Routes that take larger bodies (jobs carry long texts), by exact path, or by prefix
        for a key that ends with ``/``."""

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        try:
            body = await self._read_body(scope, receive)
        except _BodyRefusedError as refused:
            await error_response(refused.status, refused.code, refused.message)(
                scope, receive, send
            )
            return
        if body is None:  # the client went away mid-upload: nobody to answer
            return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if not replayed:
                replayed = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)

    def _limit(self, path: str) -> int:
        if path in self.path_limits:
            return self.path_limits[path]
        prefixes = [p for p in self.path_limits if p.endswith("/") and path.startswith(p)]
        return self.path_limits[max(prefixes, key=len)] if prefixes else self.max_bytes

    async def _read_body(self, scope: Scope, receive: Receive) -> bytes | None:
        limit = self._limit(scope["path"])
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > limit:
            raise self._too_large(limit)
        chunks: list[bytes] = []
        size = 0
        try:
            async with asyncio.timeout(self.timeout):
                while True:
                    message = await receive()
                    if message["type"] == "http.disconnect":
                        return None
                    chunk = message.get("body", b"")
                    size += len(chunk)
                    if size > limit:
                        raise self._too_large(limit)
                    chunks.append(chunk)
                    if not message.get("more_body", False):
                        return b"".join(chunks)
        except TimeoutError:
            raise _BodyRefusedError(
                408, "upload_timeout", "request body arrived too slowly"
            ) from None

    @staticmethod
    def _too_large(limit: int) -> _BodyRefusedError:
        return _BodyRefusedError(
            413, "body_too_large", f"request body is over the limit of {limit} bytes"
        )


class EarlyAnswerMiddleware:
    """Mark ``Connection: close`` on an answer that starts before the request's body has been
    read (413 on its declared length, 408, 401 or 429 before the body): the client must send
    its next request on a new connection, since the server discards the rest of this one's
    body and then closes it (``voxserve.security.http``)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _has_body(scope):
            await self.app(scope, receive, send)
            return
        body_read = False

        async def tracked_receive() -> Message:
            nonlocal body_read
            message = await receive()
            body_read = body_read or not message.get("more_body", False)
            return message

        async def closing_send(message: Message) -> None:
            if message["type"] == "http.response.start" and not body_read:
                headers = [*message.get("headers", []), (b"connection", b"close")]
                message = {**message, "headers": headers}
            await send(message)

        await self.app(scope, tracked_receive, closing_send)


def _has_body(scope: Scope) -> bool:
    headers = dict(scope["headers"])
    return b"transfer-encoding" in headers or headers.get(b"content-length", b"0") != b"0"


class ObservabilityMiddleware:
    """Give each request an id (``X-Request-Id``: the caller's if it is a safe token, else a new
    one), log it (no query string, no body) and count it by route and status."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "websocket":  # a session's log lines carry an id too
            scope.setdefault("state", {})["request_id"] = _request_id(scope)
            context = logs.request_id.set(scope["state"]["request_id"])
            try:
                await self.app(scope, receive, send)
            finally:
                logs.request_id.reset(context)
            return
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _request_id(scope)
        scope.setdefault("state", {})["request_id"] = request_id
        context = logs.request_id.set(request_id)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message.setdefault("headers", []).append((b"x-request-id", request_id.encode()))
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            route = scope.get("route")
            path = getattr(route, "path", "unmatched")
            method = scope.get("method", "")
            self.metrics.requests.labels(path, method, str(status)).inc()
            elapsed = time.perf_counter() - started
            self.metrics.latency.labels(path, method).observe(elapsed)
            _log_access(scope, status, elapsed)
            logs.request_id.reset(context)


# A random prefix per process and a counter: unique ids without a urandom call per request.
_ID_PREFIX = secrets.token_hex(4)
_id_counter = itertools.count(1)


def _request_id(scope: Scope) -> str:
    given = bytes(dict(scope["headers"]).get(b"x-request-id", b""))
    if _SAFE_REQUEST_ID.fullmatch(given):
        return given.decode()
    return f"{_ID_PREFIX}{next(_id_counter):08x}"


def _log_access(scope: Scope, status: int, elapsed: float) -> None:
    client = scope.get("client")
    access_log.info(
        "%s %s %d %.1f ms",
        scope.get("method", ""),
        scope.get("path", ""),
        status,
        elapsed * 1000,
        extra={
            "method": scope.get("method", ""),
            "path": scope.get("path", ""),
            "status": status,
            "duration_ms": round(elapsed * 1000, 1),
            "client": client[0] if client else None,
            "principal": scope.get("state", {}).get("principal"),
        },
    )
