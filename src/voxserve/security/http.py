"""uvicorn's HTTP protocol with limits on request headers and a clean close after early answers.

Headers: uvicorn bounds the idle time between keep-alive requests (``timeout_keep_alive``) but
not the time a client takes to send a request's headers: a client that sends them a byte at a
time (slowloris) holds its connection, and with many such clients, every connection the server
can hold. This subclass closes a connection whose request line and headers are not complete
``header_timeout_s`` after it opened (or after the previous response), and answers 431 when
they grow past ``max_header_bytes`` (before the parser sees them, so h11 and httptools refuse
at the same size). Request bodies have their own deadline (``upload_timeout_s``, in
``LimitsMiddleware``).

Early answers: a response may complete before its request's body has been read (413 on the
declared length, 408, 401 or 429 before the body). The unread rest of that body must never be
parsed as the next request, so such a connection is closed, and closed *lingering*, as nginx
does: the answer is flushed, the sending side shut down, and whatever the client still sends is
read and discarded until it closes its side (at most ``LINGER_BYTES``, for at most
``LINGER_MAX_S``, and no longer than ``LINGER_IDLE_S`` after it last sent anything). Closing at
once instead would make the kernel answer the unread bytes with a reset: a client still writing
its body gets an error instead of the answer. The app marks such answers ``Connection: close``
(``EarlyAnswerMiddleware``); the protocol lingers on any of them.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, Literal

from voxserve.settings import Settings

LINGER_IDLE_S = 2.0
"""After an early answer, how long the client may send nothing before its connection closes."""

LINGER_MAX_S = 30.0
"""Longest time a connection closed after an early answer waits for the client to stop sending."""

LINGER_BYTES = 8 * 1024 * 1024
"""Most body bytes discarded after an early answer before the connection is simply closed."""

_HEADERS_END = b"\r\n\r\n"

_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\ncontent-length: 26\r\nconnection: close\r\n\r\n"
    b"request headers too large\n"
)


def base_protocol(impl: Literal["auto", "httptools", "h11"] = "auto") -> type[Any]:
    """uvicorn's protocol class for ``impl`` (``auto``: httptools when installed, else h11)."""
    if impl == "h11":
        from uvicorn.protocols.http.h11_impl import H11Protocol

        return H11Protocol
    if impl == "httptools":
        from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

        return HttpToolsProtocol
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    return AutoHTTPProtocol


class _LingeringTransport:
    """The connection's transport as uvicorn sees it. Its ``close`` lingers while a request's
    body is still arriving (the protocol says when): the real transport closes once the client
    has closed its side, or at the limits in the module docs."""

    def __init__(self, transport: asyncio.Transport, protocol: Any) -> None:
        self._transport = transport
        self._protocol = protocol
        self._in_request_body: Callable[[], bool] = protocol.in_request_body
        self._timer: asyncio.TimerHandle | None = None
        self._discarded = 0
        self._last_data = self._deadline = 0.0
        self.lingering = False

    def close(self) -> None:
        if self.lingering or self._transport.is_closing():
            return
        if self._transport.get_protocol() is self._protocol and self._in_request_body():
            self.linger()
        else:
            self._transport.close()

    def linger(self) -> None:
        """Flush what was written, shut the sending side and discard what still arrives."""
        self.lingering = True
        self._transport.resume_reading()  # uvicorn pauses reading while a body waits for the app
        if not self._transport.can_write_eof():
            self._transport.close()
            return
        self._transport.write_eof()  # sent once the answer is flushed
        loop = asyncio.get_running_loop()
        self._last_data = loop.time()
        self._deadline = self._last_data + LINGER_MAX_S
        self._timer = loop.call_later(LINGER_IDLE_S, self._check)

    def discard(self, size: int) -> None:
        """Bytes that arrived while lingering: dropped, never parsed."""
        self._discarded += size
        self._last_data = asyncio.get_running_loop().time()
        if self._discarded > LINGER_BYTES:
            self._transport.close()

    def _check(self) -> None:
        loop = asyncio.get_running_loop()
        now = loop.time()
        wait = min(self._last_data + LINGER_IDLE_S, self._deadline) - now
        if wait <= 0:
            self._transport.close()
        else:  # one timer, moved on by the data that arrived since it was set
            self._timer = loop.call_later(wait, self._check)

    def closed(self) -> None:
        """The real transport has closed."""
        if self._timer is not None:
            self._timer.cancel()

    def is_closing(self) -> bool:
        return self.lingering or self._transport.is_closing()

    def write(self, data: bytes) -> None:
        if not self.lingering:  # a closed transport drops late writes too
            self._transport.write(data)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


def guarded_protocol(settings: Settings, base: type[Any] | None = None) -> type[asyncio.Protocol]:
    """A uvicorn HTTP protocol class (pass it as ``http=``) enforcing the header limits and
    closing cleanly after early answers (see the module docs)."""
    parent = base or base_protocol(settings.http_impl)
    timeout = settings.header_timeout_s
    max_bytes = settings.max_header_bytes

    class GuardedProtocol(parent):  # type: ignore[misc, valid-type]
        """``parent`` with header limits and lingering close (see the module docs)."""

        _header_timer: asyncio.TimerHandle | None = None
        _header_bytes = 0
        _header_tail = b""

        def connection_made(self, transport: asyncio.Transport) -> None:
            self._closer = _LingeringTransport(transport, self)
            super().connection_made(self._closer)
            self._arm_header_deadline()

        def in_request_body(self) -> bool:
            """A request's body has started and not ended: its rest would follow on the wire."""
            cycle = getattr(self, "cycle", None)
            return cycle is not None and bool(cycle.more_body)

        def on_response_complete(self) -> None:
            if self.in_request_body():  # answered before the body was read, and kept alive
                self._closer.close()
            super().on_response_complete()
            if not self._closer.is_closing():
                self._arm_header_deadline()  # the next request's headers get the same deadline

        def connection_lost(self, exc: Exception | None) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
            self._closer.closed()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            if self._closer.lingering:
                self._closer.discard(len(data))
                return
            if self._waiting_for_headers() and self._headers_overflow(data):
                self._closer.write(_TOO_LARGE)
                self._closer.linger()  # the parser never sees these headers
                return
            super().data_received(data)
            if not self._waiting_for_headers():
                self._header_bytes, self._header_tail = 0, b""  # headers done

        def _headers_overflow(self, data: bytes) -> bool:
            """Whether the headers now arriving end only past ``max_bytes``."""
            seen = self._header_tail + data  # the tail: an end split over two reads
            allowed = len(self._header_tail) + max_bytes - self._header_bytes
            if seen.find(_HEADERS_END, 0, allowed) >= 0:
                return False
            self._header_bytes += len(data)
            self._header_tail = seen[-(len(_HEADERS_END) - 1) :]
            return self._header_bytes > max_bytes

        def _waiting_for_headers(self) -> bool:
            """No request in progress: whatever arrives is a request line or headers."""
            cycle = getattr(self, "cycle", None)
            return cycle is None or bool(cycle.response_complete)

        def _arm_header_deadline(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
            self._header_bytes, self._header_tail = 0, b""
            self._header_timer = self.loop.call_later(timeout, self._header_deadline)

        def _header_deadline(self) -> None:
            self._header_timer = None
            transport = self._closer
            if transport.is_closing() or transport.get_protocol() is not self:
                return  # closed, or upgraded to a WebSocket that has its own timeouts
            if self._waiting_for_headers():
                transport.close()
            # else a request is in progress: on_response_complete arms the next deadline

    return GuardedProtocol
