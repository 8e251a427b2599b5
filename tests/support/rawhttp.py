"""HTTP/1.1 over a raw socket: requests written byte for byte, answers read one at a time.

For conformance tests that need what no client library sends: pipelined requests, bodies that
lie about their length, slow bodies, ``Expect: 100-continue`` without waiting.
"""

from __future__ import annotations

import contextlib
import socket
import time
from dataclasses import dataclass


@dataclass(frozen=True)
class Answer:
    status: int
    headers: dict[str, str]
    """Lower-cased names; a repeated header keeps its last value."""
    body: bytes

    @property
    def closes(self) -> bool:
        return "close" in self.headers.get("connection", "").lower()


def encode_request(
    method: str,
    path: str,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
    *,
    chunked: bool = False,
) -> bytes:
    """One request's bytes: ``Content-Length`` from ``body`` unless ``headers`` give one or
    ``chunked`` is set (then the body goes in 64 KiB chunks)."""
    lines = [f"{method} {path} HTTP/1.1", "Host: test"]
    given = {k.lower() for k in (headers or {})}
    if body is not None and chunked:
        lines.append("Transfer-Encoding: chunked")
    elif body is not None and "content-length" not in given:
        lines.append(f"Content-Length: {len(body)}")
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    head = ("\r\n".join(lines) + "\r\n\r\n").encode()
    if body is None:
        return head
    if not chunked:
        return head + body
    pieces = [body[i : i + 65536] for i in range(0, len(body), 65536)]
    return head + b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in pieces) + b"0\r\n\r\n"


class RawConnection:
    """One TCP connection to ``127.0.0.1:port``; use it as a context manager.

    ``small_buffers``: 16 KiB socket buffers on this side, so that a large body is still being
    written when the server answers, as over a real network.
    """

    def __init__(self, port: int, timeout: float = 10.0, *, small_buffers: bool = False) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        if small_buffers:
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 16 * 1024)
            self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * 1024)
        self.sock.settimeout(timeout)
        self.sock.connect(("127.0.0.1", port))
        self.buffer = b""

    def __enter__(self) -> RawConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.sock.close()

    def send(self, data: bytes) -> None:
        """Send ``data``; bytes the server no longer reads are not an error here."""
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            self.sock.sendall(data)

    def answer(self) -> Answer:
        """The next answer on the connection (a ``100 Continue`` counts as one)."""
        head = self._until(b"\r\n\r\n")
        status_line, *header_lines = head.decode("latin-1").split("\r\n")
        status = int(status_line.split(" ")[1])
        headers = {}
        for line in header_lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if status < 200 or status in (204, 304):
            return Answer(status, headers, b"")
        if headers.get("transfer-encoding", "").lower() == "chunked":
            return Answer(status, headers, self._chunked_body())
        return Answer(status, headers, self._exactly(int(headers.get("content-length", "0"))))

    def closed_by_server(self, within: float = 5.0) -> bool:
        """True once the server has closed its side with nothing more sent; False if more
        bytes arrive, or nothing happens ``within`` seconds."""
        if self.buffer:
            return False
        deadline = time.monotonic() + within
        while time.monotonic() < deadline:
            self.sock.settimeout(max(0.01, deadline - time.monotonic()))
            try:
                data = self.sock.recv(65536)
            except TimeoutError:
                return False
            except ConnectionResetError:
                return True
            if not data:
                return True
            self.buffer += data
            return False
        return False

    def _recv(self) -> bytes:
        data = self.sock.recv(65536)
        if not data:
            raise ConnectionError(f"closed by the server; unread: {self.buffer[:200]!r}")
        return data

    def _until(self, marker: bytes) -> bytes:
        while marker not in self.buffer:
            self.buffer += self._recv()
        found, _, self.buffer = self.buffer.partition(marker)
        return found

    def _exactly(self, size: int) -> bytes:
        while len(self.buffer) < size:
            self.buffer += self._recv()
        found, self.buffer = self.buffer[:size], self.buffer[size:]
        return found

    def _chunked_body(self) -> bytes:
        body = b""
        while size := int(self._until(b"\r\n").split(b";")[0], 16):
            body += self._exactly(size)
            self._until(b"\r\n")
        self._until(b"\r\n")  # no trailers are sent
        return body
