"""ASGI middleware: request ids, body size and upload time limits, request metrics."""

from __future__ import annotations

import asyncio
import time
import uuid

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voxserve.api.errors import error_response
from voxserve.metrics import Metrics


class BodyTooLargeError(Exception):
    pass


class LimitsMiddleware:
    """Refuse bodies over ``max_bytes`` (413) and uploads slower than ``timeout`` seconds (408)."""

    def __init__(self, app: ASGIApp, max_bytes: int, timeout: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.timeout = timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await self._too_large(scope, receive, send)
            return
        received = 0
        started = time.monotonic()
        response_started = False

        body_done = False

        async def limited_receive() -> Message:
            nonlocal received, body_done
            if body_done:  # later reads only wait for a disconnect: no deadline
                return await receive()
            async with asyncio.timeout(max(0.0, started + self.timeout - time.monotonic())):
                message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLargeError
                body_done = not message.get("more_body", False)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            response_started = response_started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLargeError:
            if not response_started:
                await self._too_large(scope, receive, send)
        except TimeoutError:
            if not response_started:
                response = error_response(408, "upload_timeout", "request body arrived too slowly")
                await response(scope, receive, send)

    async def _too_large(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            413, "body_too_large", f"request body is over the limit of {self.max_bytes} bytes"
        )
        await response(scope, receive, send)


class ObservabilityMiddleware:
    """Give each request an id (``X-Request-Id``) and count it by route and status."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = uuid.uuid4().hex[:16]
        scope.setdefault("state", {})["request_id"] = request_id
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
            self.metrics.latency.labels(path, method).observe(time.perf_counter() - started)
