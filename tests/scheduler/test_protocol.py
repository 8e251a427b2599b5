"""The worker protocol's frames: round trips, audio beside the pickle, reassembly from a pipe."""

from __future__ import annotations

import asyncio
import io
import struct

import numpy as np
import pytest

from voxserve.scheduler.protocol import (
    MAX_FRAME,
    Failed,
    FrameReader,
    Message,
    Part,
    Rendered,
    Stop,
    decode_frame,
    encode_frame,
    read_frame_sync,
    write_frame_sync,
)
from voxserve.timing import Timed

SAMPLES = np.linspace(-1, 1, 5000, dtype=np.float32)
UNIT = Timed(SAMPLES, np.array([[0, 10], [10, 4000]], dtype=np.int64)).pack()
MESSAGES: list[Message] = [
    Rendered(7, UNIT, 0.25),
    Part(7, SAMPLES.tobytes()),
    Failed(8, "text_too_long", "too long", "text"),
    Stop(),
]


def test_each_message_survives_a_frame() -> None:
    for message in MESSAGES:
        frame = encode_frame(message)
        back = decode_frame(bytearray(frame[4:]))
        assert type(back) is type(message)
        if isinstance(back, Rendered):
            assert isinstance(message, Rendered) and bytes(back.unit) == message.unit
            assert back.job_id == 7 and back.seconds == 0.25
        elif isinstance(back, Part):
            assert isinstance(message, Part) and bytes(back.samples) == message.samples
        else:
            assert back == message


def test_audio_travels_beside_the_pickle_and_is_read_in_place() -> None:
    frame = encode_frame(Rendered(1, UNIT, 0.1))
    # The samples appear once, whole, at the end of the frame (not inside the pickle).
    assert frame.endswith(UNIT) and frame.count(SAMPLES.tobytes()) == 1
    buffer = bytearray(frame[4:])
    back = decode_frame(buffer)
    assert isinstance(back, Rendered) and isinstance(back.unit, memoryview)
    assert back.unit.readonly and back.unit.obj is buffer  # a view, not a copy
    np.testing.assert_array_equal(Timed.unpack(back.unit).pcm, SAMPLES)


def test_frames_round_trip_through_a_blocking_stream() -> None:
    stream = io.BytesIO()
    for message in MESSAGES:
        write_frame_sync(stream, message)
    stream.seek(0)
    kinds = []
    while (message := read_frame_sync(stream)) is not None:
        kinds.append(type(message))
    assert kinds == [type(m) for m in MESSAGES]


def test_a_truncated_stream_ends_the_blocking_read() -> None:
    frame = encode_frame(Rendered(1, UNIT, 0.1))
    assert read_frame_sync(io.BytesIO(frame[:-10])) is None
    assert read_frame_sync(io.BytesIO(frame[:2])) is None


def _feed(reader: FrameReader, data: bytes, sizes: list[int]) -> None:
    """``data`` in chunks of the given sizes, cycling, as a pipe might deliver it."""
    offset, index = 0, 0
    while offset < len(data):
        size = sizes[index % len(sizes)]
        reader.data_received(data[offset : offset + size])
        offset, index = offset + size, index + 1


@pytest.mark.parametrize("sizes", [[1], [3, 1, 4096], [65536], [10_000_000]])
def test_the_reader_reassembles_frames_cut_anywhere(sizes: list[int]) -> None:
    async def run() -> list[Message]:
        reader = FrameReader()
        _feed(reader, b"".join(encode_frame(m) for m in MESSAGES), sizes)
        first = await reader.first()
        rest: list[Message] = []
        reader.attach(rest.append)  # the messages read already come first, in order
        reader.data_received(encode_frame(Stop()))
        return [first, *rest]

    got = asyncio.run(run())
    assert [type(m) for m in got] == [*(type(m) for m in MESSAGES), Stop]
    assert isinstance(got[0], Rendered) and bytes(got[0].unit) == UNIT


def test_the_reader_waits_for_the_first_message() -> None:
    async def run() -> Message:
        reader = FrameReader()
        waiting = asyncio.create_task(reader.first())
        await asyncio.sleep(0)
        frame = encode_frame(Stop())
        reader.data_received(frame[:3])
        await asyncio.sleep(0)
        assert not waiting.done()
        reader.data_received(frame[3:])
        return await waiting

    assert isinstance(asyncio.run(run()), Stop)


def test_an_end_before_the_first_message_is_an_eof_error() -> None:
    async def run() -> None:
        reader = FrameReader()
        waiting = asyncio.create_task(reader.first())
        await asyncio.sleep(0)
        reader.data_received(encode_frame(Stop())[:5])  # half a frame, then the pipe ends
        reader.connection_lost(None)
        assert reader.closed.done() and reader.error is None
        with pytest.raises(EOFError):
            await waiting
        with pytest.raises(EOFError):
            await reader.first()

    asyncio.run(run())


def test_a_frame_out_of_bounds_ends_the_reader() -> None:
    async def run() -> None:
        reader = FrameReader()
        handled: list[Message] = []
        reader.attach(handled.append)
        reader.data_received(struct.pack(">I", MAX_FRAME + 1) + b"\0" * 16)
        assert reader.closed.done() and isinstance(reader.error, ValueError)
        reader.data_received(encode_frame(Stop()))  # nothing is read after it
        assert handled == []

    asyncio.run(run())
