"""Wyoming events on a byte stream, read with limits.

An event is one JSON line (``type``, optional ``data``, ``data_length``, ``payload_length``),
then ``data_length`` bytes of JSON merged into ``data``, then ``payload_length`` bytes of
payload (audio). The ``wyoming`` package's own reader trusts the lengths a peer declares; this
one refuses an event over the limits before reading it, since the peer may be anyone who can
reach the port.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass
from typing import Any

from wyoming.event import Event, async_write_event

from voxserve.errors import InputError

MAX_LINE_BYTES = 64 * 1024
"""Longest header line (the stream reader's buffer limit)."""

MAX_PAYLOAD_BYTES = 1024 * 1024
"""Largest payload accepted; a speech server needs none from its clients."""


class FramingError(InputError):
    """The bytes on the connection are not a Wyoming event, or one over the limits: the stream
    cannot be followed any further, so the connection closes after the error event."""

    code = "invalid_event"


@dataclass(frozen=True)
class Limits:
    max_data_bytes: int
    """Largest ``data_length`` (a ``synthesize`` event carries the whole text here)."""


async def read_event(reader: asyncio.StreamReader, limits: Limits) -> Event | None:
    """The next event, or None when the peer closed the connection between events."""
    try:
        line = await reader.readline()
    except (asyncio.LimitOverrunError, ValueError):
        raise FramingError(f"event header line over {MAX_LINE_BYTES} bytes") from None
    if not line:
        return None
    if not line.endswith(b"\n"):
        raise FramingError("connection closed in the middle of an event")
    header = _header(line)
    data = header.get("data") or {}
    if not isinstance(data, dict):
        raise FramingError("an event's data must be a JSON object")
    data_length = _length(header, "data_length", limits.max_data_bytes)
    if data_length:
        data = {**data, **_object(await _exactly(reader, data_length))}
    payload_length = _length(header, "payload_length", MAX_PAYLOAD_BYTES)
    payload = await _exactly(reader, payload_length) if payload_length else None
    return Event(type=header["type"], data=data, payload=payload)


async def write_event(writer: asyncio.StreamWriter, event: Event) -> None:
    """Send ``event`` and wait until the peer's reading lets the buffer drain."""
    await async_write_event(event, writer)


def _header(line: bytes) -> dict[str, Any]:
    header = _object(line)
    if not isinstance(header.get("type"), str) or not header["type"]:
        raise FramingError("an event needs a 'type' string")
    return header


def _object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise FramingError("an event header or data is not valid JSON") from None
    if not isinstance(value, dict):
        raise FramingError("an event header or data must be a JSON object")
    return value


def _length(header: dict[str, Any], name: str, limit: int) -> int:
    value = header.get(name) or 0
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise FramingError(f"{name} must be a non-negative integer")
    if value > limit:
        raise FramingError(f"{name} of {value} bytes is over the limit of {limit}")
    return value


async def _exactly(reader: asyncio.StreamReader, size: int) -> bytes:
    try:
        return await reader.readexactly(size)
    except asyncio.IncompleteReadError:
        raise FramingError("connection closed in the middle of an event") from None
