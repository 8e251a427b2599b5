"""Messages between the scheduler and its worker processes, framed over pipes.

Each frame is a 4-byte big-endian length and a pickle. Only the scheduler and workers of the same
installation speak this protocol (both ends are trusted), so pickle is acceptable here.
"""

from __future__ import annotations

import asyncio
import pickle
import struct
from dataclasses import dataclass
from typing import BinaryIO

from voxserve.pipeline import UnitTask
from voxserve.types import Voice

_HEADER = struct.Struct(">I")
MAX_FRAME = 256 * 1024 * 1024


@dataclass(frozen=True)
class Hello:
    """Worker -> scheduler: engines loaded; these are the voices it can speak."""

    pid: int
    voices: tuple[Voice, ...]
    extra_voices: tuple[Voice, ...]
    load_seconds: float


@dataclass(frozen=True)
class Render:
    """Scheduler -> worker: render one unit (for the request ``request_id``, which the worker's
    log lines carry)."""

    job_id: int
    task: UnitTask
    request_id: str = "-"
    parts: bool = False
    """Send the unit's first samples as :class:`Part` messages as soon as they are final."""


@dataclass(frozen=True)
class Part:
    """Worker -> scheduler: the next samples of the unit being rendered (float32 bytes), a
    prefix of what its :class:`Rendered` will hold."""

    job_id: int
    samples: bytes


@dataclass(frozen=True)
class Rendered:
    """Worker -> scheduler: a unit's samples and marks (a packed
    :class:`~voxserve.timing.Timed`), and the CPU seconds it took."""

    job_id: int
    unit: bytes
    seconds: float


@dataclass(frozen=True)
class Failed:
    """Worker -> scheduler: a unit failed with a domain error (code + message safe to show)."""

    job_id: int
    code: str
    message: str
    param: str | None


@dataclass(frozen=True)
class Stop:
    """Scheduler -> worker: exit after the current unit."""


Message = Hello | Render | Part | Rendered | Failed | Stop


def encode_frame(message: Message) -> bytes:
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(payload)) + payload


def _decode(payload: bytes) -> Message:
    message: Message = pickle.loads(payload)
    return message


async def read_frame(reader: asyncio.StreamReader) -> Message:
    """Read one message; raises asyncio.IncompleteReadError at end of stream."""
    (size,) = _HEADER.unpack(await reader.readexactly(_HEADER.size))
    if size > MAX_FRAME:
        raise ValueError(f"frame of {size} bytes is over the limit")
    return _decode(await reader.readexactly(size))


def read_frame_sync(stream: BinaryIO) -> Message | None:
    """Blocking read for the worker side; None at end of stream."""
    header = stream.read(_HEADER.size)
    if len(header) < _HEADER.size:
        return None
    (size,) = _HEADER.unpack(header)
    payload = stream.read(size)
    if len(payload) < size:
        return None
    return _decode(payload)


def write_frame_sync(stream: BinaryIO, message: Message) -> None:
    stream.write(encode_frame(message))
    stream.flush()
