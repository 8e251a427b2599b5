"""Messages between the scheduler and its worker processes, framed over pipes.

A frame is a 4-byte big-endian length of the rest, a 4-byte length of the pickle, the pickle
(the message without its audio), then the message's audio, if it carries any (:class:`Part`,
:class:`Rendered`). The audio travels beside the pickle, not in it: the server's side reads each
frame into one buffer and keeps the audio there as a read-only view, where a pickled byte string
would be copied out again (the server sets a fixed mmap threshold, so each copy of a unit's
samples is fresh pages for the kernel to fault in and zero). Only the scheduler and workers of
the same installation speak this protocol (both ends are trusted), so pickle is acceptable here.
"""

from __future__ import annotations

import asyncio
import pickle
import struct
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import BinaryIO

from voxserve.pipeline import UnitTask
from voxserve.types import Voice

_LENGTH = struct.Struct(">I")
MAX_FRAME = 256 * 1024 * 1024

Audio = bytes | memoryview
"""A message's audio: bytes where it is made, a view into its frame where it is read."""


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
    samples: Audio


@dataclass(frozen=True)
class Rendered:
    """Worker -> scheduler: a unit's samples and marks (a packed
    :class:`~voxserve.timing.Timed`), and the CPU seconds it took."""

    job_id: int
    unit: Audio
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


def frame_parts(message: Message) -> tuple[bytes, bytes, Audio]:
    """The pieces of ``message``'s frame, to be written one after the other: the lengths, the
    pickle and the audio (empty for a message without any)."""
    audio: Audio = b""
    if isinstance(message, Part):
        audio, message = message.samples, replace(message, samples=b"")
    elif isinstance(message, Rendered):
        audio, message = message.unit, replace(message, unit=b"")
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    size = _LENGTH.size + len(payload) + memoryview(audio).nbytes
    return _LENGTH.pack(size) + _LENGTH.pack(len(payload)), payload, audio


def encode_frame(message: Message) -> bytes:
    """``message`` as one frame."""
    return b"".join(frame_parts(message))


def decode_frame(frame: bytearray | bytes) -> Message:
    """The message of a frame without its first length; its audio is a view into ``frame``."""
    view = memoryview(frame)
    (size,) = _LENGTH.unpack_from(view)
    start = _LENGTH.size + size
    message: Message = pickle.loads(view[_LENGTH.size : start])
    audio = view[start:].toreadonly()
    if isinstance(message, Part):
        return replace(message, samples=audio)
    if isinstance(message, Rendered):
        return replace(message, unit=audio)
    return message


def _frame_size(prefix: bytes | bytearray) -> int:
    size = int(_LENGTH.unpack(prefix)[0])
    if not _LENGTH.size <= size <= MAX_FRAME:
        raise ValueError(f"a frame of {size} bytes is out of bounds")
    return size


def read_frame_sync(stream: BinaryIO) -> Message | None:
    """Blocking read for the worker side; None at end of stream."""
    prefix = stream.read(_LENGTH.size)
    if len(prefix) < _LENGTH.size:
        return None
    size = _frame_size(prefix)
    frame = stream.read(size)
    if len(frame) < size:
        return None
    return decode_frame(frame)


def write_frame_sync(stream: BinaryIO, message: Message) -> None:
    for part in frame_parts(message):
        stream.write(part)
    stream.flush()


class FrameReader(asyncio.Protocol):
    """The server's side of a worker's output pipe: reassembles each frame into one buffer
    and hands its message on, to :meth:`first`'s caller until :meth:`attach` names a handler.

    :attr:`closed` is done when the pipe ends, or carries a frame out of bounds (then
    :attr:`error` says so); messages still unread by then are dropped."""

    def __init__(self) -> None:
        self._prefix = bytearray()
        self._frame: bytearray | None = None
        self._filled = 0
        self._handler: Callable[[Message], None] | None = None
        self._early: deque[Message] = deque()
        self._waiter: asyncio.Future[None] | None = None
        self._transport: asyncio.BaseTransport | None = None
        self.closed: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.error: ValueError | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport

    def data_received(self, data: bytes) -> None:
        view = memoryview(data)
        while view and not self.closed.done():
            if self._frame is None:
                take = _LENGTH.size - len(self._prefix)
                self._prefix += view[:take]
                view = view[take:]
                if len(self._prefix) < _LENGTH.size:
                    return
                try:
                    self._frame, self._filled = bytearray(_frame_size(self._prefix)), 0
                except ValueError as exc:
                    self.error = exc
                    self._end(exc)
                    return
                self._prefix.clear()
            take = min(len(self._frame) - self._filled, len(view))
            self._frame[self._filled : self._filled + take] = view[:take]
            self._filled += take
            view = view[take:]
            if self._filled == len(self._frame):
                frame, self._frame = self._frame, None
                self._deliver(decode_frame(frame))

    def connection_lost(self, exc: Exception | None) -> None:
        self._end(exc)

    def close(self) -> None:
        """Stop reading (the pipe is closed)."""
        self._end(None)

    def _deliver(self, message: Message) -> None:
        if self._handler is not None:
            self._handler(message)
            return
        self._early.append(message)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(None)

    def _end(self, exc: Exception | None) -> None:
        if not self.closed.done():
            self.closed.set_result(None)
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_exception(exc or EOFError("the worker's output ended"))
        if self._transport is not None:
            self._transport.close()

    async def first(self) -> Message:
        """The next message not handed on yet; raises EOFError (or the framing error) when the
        pipe ends first."""
        while not self._early:
            if self.closed.done():
                raise EOFError("the worker's output ended")
            self._waiter = asyncio.get_running_loop().create_future()
            await self._waiter
        return self._early.popleft()

    def attach(self, handler: Callable[[Message], None]) -> None:
        """Hand every later message (and any already read) to ``handler``, as it arrives."""
        self._handler = handler
        while self._early:
            handler(self._early.popleft())
