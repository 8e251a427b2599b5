"""uvicorn's HTTP protocol with a deadline and a size limit on request headers.

uvicorn bounds the idle time between keep-alive requests (``timeout_keep_alive``) but not the
time a client takes to send a request's headers: a client that sends them a byte at a time
(slowloris) holds its connection, and with many such clients, every connection the server can
hold. This subclass closes a connection whose request line and headers are not complete
``header_timeout_s`` after it opened (or after the previous response), and answers 431 when
they grow past ``max_header_bytes``. Request bodies have their own deadline
(``upload_timeout_s``, in ``LimitsMiddleware``).
"""

from __future__ import annotations

import asyncio
from typing import Any

from voxserve.settings import Settings

_TOO_LARGE = (
    b"HTTP/1.1 431 Request Header Fields Too Large\r\n"
    b"content-type: text/plain; charset=utf-8\r\ncontent-length: 26\r\nconnection: close\r\n\r\n"
    b"request headers too large\n"
)


def _base_protocol() -> type[Any]:
    # The same choice as uvicorn's http="auto": httptools when installed, else h11.
    from uvicorn.protocols.http.auto import AutoHTTPProtocol

    return AutoHTTPProtocol


def guarded_protocol(settings: Settings, base: type[Any] | None = None) -> type[asyncio.Protocol]:
    """A uvicorn HTTP protocol class (pass it as ``http=``) enforcing the header limits."""
    parent = base or _base_protocol()
    timeout = settings.header_timeout_s
    max_bytes = settings.max_header_bytes

    class HeaderGuardProtocol(parent):  # type: ignore[misc, valid-type]
        """``parent`` with a header deadline (see the module docs)."""

        _header_timer: asyncio.TimerHandle | None = None
        _header_bytes = 0

        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(transport)
            self._arm_header_deadline()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            self._arm_header_deadline()  # the next request's headers get the same deadline

        def connection_lost(self, exc: Exception | None) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            waiting = self._waiting_for_headers()
            if waiting:
                self._header_bytes += len(data)
            super().data_received(data)
            if not self._waiting_for_headers():
                self._header_bytes = 0  # headers done (the rest of this data was body)
            elif waiting and self._header_bytes > max_bytes and not self.transport.is_closing():
                self.transport.write(_TOO_LARGE)
                self.transport.close()

        def _waiting_for_headers(self) -> bool:
            """No request in progress: whatever arrives is a request line or headers."""
            cycle = getattr(self, "cycle", None)
            return cycle is None or bool(cycle.response_complete)

        def _arm_header_deadline(self) -> None:
            if self._header_timer is not None:
                self._header_timer.cancel()
            self._header_bytes = 0
            self._header_timer = self.loop.call_later(timeout, self._header_deadline)

        def _header_deadline(self) -> None:
            self._header_timer = None
            transport = self.transport
            if transport.is_closing() or transport.get_protocol() is not self:
                return  # closed, or upgraded to a WebSocket that has its own timeouts
            if self._waiting_for_headers():
                transport.close()
            # else a request is in progress: on_response_complete arms the next deadline

    return HeaderGuardProtocol
