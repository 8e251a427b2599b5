"""Reading Wyoming events with limits (no server: a stream reader fed bytes)."""

from __future__ import annotations

import asyncio
import json

import pytest

from tests.support import aio
from voxserve.wyoming.framing import (
    MAX_LINE_BYTES,
    MAX_PAYLOAD_BYTES,
    FramingError,
    Limits,
    read_event,
)

LIMITS = Limits(max_data_bytes=1000)


def _read(raw: bytes) -> object:
    async def run() -> object:
        reader = asyncio.StreamReader(limit=MAX_LINE_BYTES)
        reader.feed_data(raw)
        reader.feed_eof()
        return await read_event(reader, LIMITS)

    return aio.run(run())


def _line(header: dict[str, object]) -> bytes:
    return json.dumps(header).encode() + b"\n"


def test_an_event_with_data_and_payload() -> None:
    data = json.dumps({"text": "你好"}).encode()
    raw = _line({"type": "x", "data": {"a": 1}, "data_length": len(data), "payload_length": 3})
    event = _read(raw + data + b"abc")
    assert event.type == "x"  # type: ignore[attr-defined]
    assert event.data == {"a": 1, "text": "你好"}  # type: ignore[attr-defined]
    assert event.payload == b"abc"  # type: ignore[attr-defined]


def test_end_of_stream_between_events_is_none() -> None:
    assert _read(b"") is None


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        (b"not json\n", "not valid JSON"),
        (b"[1, 2]\n", "JSON object"),
        (_line({"data": {}}), "'type'"),
        (_line({"type": "x", "data": [1]}), "data must be a JSON object"),
        (_line({"type": "x", "data_length": 1001}), "data_length of 1001"),
        (_line({"type": "x", "data_length": -1}), "non-negative"),
        (_line({"type": "x", "data_length": True}), "non-negative"),
        (_line({"type": "x", "payload_length": MAX_PAYLOAD_BYTES + 1}), "payload_length"),
        (_line({"type": "x", "data_length": 10}) + b"{}", "middle of an event"),
        (_line({"type": "x", "data_length": 2}) + b"[]", "JSON object"),
        (b'{"type": "x"', "middle of an event"),
        (b'{"type": "' + b"x" * MAX_LINE_BYTES + b'"}\n', "header line over"),
    ],
)
def test_bad_events_are_refused(raw: bytes, says: str) -> None:
    with pytest.raises(FramingError, match=says):
        _read(raw)
