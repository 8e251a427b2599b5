"""``AccessMiddleware``: API keys (``Authorization: Bearer``) and per-caller limits, before the
request body is even read (so refused callers cost nothing)."""

from __future__ import annotations

import asyncio
import contextlib
import re
import time

from starlette.requests import cookie_parser
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from voxserve.api.errors import vox_error_response
from voxserve.errors import AccessError, AuthenticationError
from voxserve.security import caller as callers
from voxserve.security.keys import KeyStore
from voxserve.security.limits import Limiter
from voxserve.settings import Settings

ALWAYS_PUBLIC = frozenset({"/", "/docs", "/docs/oauth2-redirect", "/redoc", "/openapi.json"})
"""The web page and the API docs: they hold no secrets, and the page must load to ask for a key."""
PUBLIC_PREFIXES = ("/static/",)
SPEECH_PATHS = frozenset({"/v1/tts", "/v1/audio/speech", "/v1/stream"})
"""Paths that run synthesis: each request holds one concurrent-stream slot while it runs."""


def public_paths(settings: Settings) -> frozenset[str]:
    """Paths answered without a key under ``settings``."""
    paths = set(ALWAYS_PUBLIC)
    if settings.public_health:
        paths |= {"/healthz", "/readyz"}
    if settings.public_metrics:
        paths.add("/metrics")
    return frozenset(paths)


WS_BEARER_PREFIX = "voxserve.bearer."
"""A WebSocket subprotocol ``voxserve.bearer.KEY`` carries the key of a client that cannot set
headers (a browser's ``new WebSocket(url, ["voxserve", "voxserve.bearer." + key])``)."""


KEY_COOKIE = "voxserve_key"
"""A cookie with the key, for a job's audio only: the page's ``<audio src>`` player and its
download links cannot set headers, and must fetch the file themselves for Range requests to
work. The page sets it for ``Path=/v1/jobs`` with ``SameSite=Strict``; it is never read for any
other path or method, so it cannot make another site's request act with the key."""
_COOKIE_PATHS = re.compile(r"/v1/jobs/job_[0-9a-f]{24}/audio")


def bearer_token(scope: Scope) -> str | None:
    """The token of an ``Authorization: Bearer TOKEN`` header, or of a WebSocket handshake's
    ``voxserve.bearer.TOKEN`` subprotocol, or of the :data:`KEY_COOKIE` on a GET of a job's
    audio, if there is one."""
    headers = dict(scope["headers"])
    value = bytes(headers.get(b"authorization", b"")).decode("latin-1")
    scheme, _, token = value.strip().partition(" ")
    if scheme.lower() == "bearer" and token.strip():
        return token.strip()
    if scope.get("method") in ("GET", "HEAD") and _COOKIE_PATHS.fullmatch(scope["path"]):
        cookies = cookie_parser(bytes(headers.get(b"cookie", b"")).decode("latin-1"))
        return cookies.get(KEY_COOKIE) or None
    if scope["type"] == "websocket":
        for offered in scope.get("subprotocols", ()):
            if offered.startswith(WS_BEARER_PREFIX) and len(offered) > len(WS_BEARER_PREFIX):
                return str(offered[len(WS_BEARER_PREFIX) :])
    return None


class AccessMiddleware:
    """Authenticate (when keys are required) and apply the caller's limits to HTTP requests and
    WebSocket handshakes; public paths pass untouched. Refusals get the one error shape."""

    def __init__(self, app: ASGIApp, settings: Settings, keys: KeyStore, limiter: Limiter) -> None:
        self.app = app
        self.keys = keys
        self.limiter = limiter
        self.require_key = settings.require_api_key
        self.public = public_paths(settings)
        self.active = self.require_key or limiter.enabled

    def _is_public(self, path: str) -> bool:
        return path in self.public or path.startswith(PUBLIC_PREFIXES)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            not self.active
            or scope["type"] not in ("http", "websocket")
            or self._is_public(scope["path"])
        ):
            await self.app(scope, receive, send)
            return
        async with contextlib.AsyncExitStack() as stack:
            try:
                caller = callers.Caller(await self._principal(scope), self.limiter)
                caller.headers.update(await self.limiter.request(caller.principal))
                if scope["path"] in SPEECH_PATHS:
                    await stack.enter_async_context(self.limiter.stream(caller.principal))
            except AccessError as refused:
                await _refuse(refused, scope, receive, send)
                return
            scope.setdefault("state", {})["principal"] = caller.principal
            await self._run(caller, scope, receive, send)

    async def _run(
        self, caller: callers.Caller, scope: Scope, receive: Receive, send: Send
    ) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                extra = [(k.lower().encode(), v.encode()) for k, v in caller.headers.items()]
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        context = callers.current.set(caller)
        try:
            await self.app(scope, receive, send_with_headers)
        finally:
            callers.current.reset(context)

    async def _principal(self, scope: Scope) -> str:
        if not self.require_key:
            client = scope.get("client")
            return f"addr:{client[0] if client else 'unknown'}"
        token = bearer_token(scope)
        if token is None:
            raise AuthenticationError(
                "this server requires an API key: send 'Authorization: Bearer <key>'",
                code="missing_api_key",
            )
        key_id = self.keys.verify(token)
        if key_id is None:
            raise AuthenticationError("the API key is not valid (unknown or revoked)")
        now = time.time()
        if self.keys.touch_due(key_id, now):
            await asyncio.to_thread(self.keys.touch, key_id, now)
        return f"key:{key_id}"


async def _refuse(error: AccessError, scope: Scope, receive: Receive, send: Send) -> None:
    """Answer with the error; a WebSocket handshake gets it as an HTTP answer where the server
    can send one (the ASGI denial-response extension), else a policy-violation close."""
    if scope["type"] == "websocket" and "websocket.http.response" not in scope.get(
        "extensions", {}
    ):
        await send({"type": "websocket.close", "code": 1008, "reason": error.code})
        return
    await vox_error_response(error)(scope, receive, send)
