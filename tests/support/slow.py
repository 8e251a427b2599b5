"""Raw-socket clients that misbehave slowly, for the slow-client (slowloris) tests."""

from __future__ import annotations

import socket
import time


def seconds_until_closed(
    host: str, port: int, data: bytes = b"", pause: float = 0.2, limit: float = 15.0
) -> tuple[float, bytes]:
    """Connect, send ``data`` one byte every ``pause`` seconds (then nothing), and return how
    long the server took to close the connection and what it sent; ``limit`` if it never did."""
    started = time.monotonic()
    received = b""
    with socket.create_connection((host, port), timeout=limit) as s:
        s.settimeout(pause)
        for i in range(len(data)):
            try:
                s.sendall(data[i : i + 1])
            except OSError:  # closed under us: that is the answer
                return time.monotonic() - started, received
            try:
                chunk = s.recv(65536)
            except TimeoutError:
                continue
            except OSError:
                return time.monotonic() - started, received
            received += chunk
            if not chunk:
                return time.monotonic() - started, received
        s.settimeout(max(0.1, limit - (time.monotonic() - started)))
        try:
            while chunk := s.recv(65536):
                received += chunk
        except TimeoutError:
            return limit, received
        except OSError:
            pass
    return time.monotonic() - started, received
