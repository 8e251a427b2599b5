"""Opus in Ogg (RFC 7845), encoded with libopus through PyAV and paged here."""

from __future__ import annotations

import secrets
import struct
from collections.abc import Sequence
from typing import Any

import av

from voxserve.audio.base import BaseEncoder
from voxserve.audio.frames import float_frame
from voxserve.audio.ogg import OggPageWriter
from voxserve.types import PCM

OPUS_RATES = (8000, 12000, 16000, 24000, 48000)
"""The input rates libopus accepts."""
_GRANULE_RATE = 48000
"""Ogg Opus counts granule positions at 48 kHz whatever the input rate."""
_VENDOR = b"voxserve"


def _opus_tags() -> bytes:
    # vendor string, then an empty comment list
    return b"OpusTags" + struct.pack("<I", len(_VENDOR)) + _VENDOR + struct.pack("<I", 0)


class OpusOggEncoder(BaseEncoder):
    """Streams Ogg Opus: the headers and every packet encoded so far leave on each ``feed``.

    The final page carries the exact end position, so players trim libopus's padding and
    (through the pre-skip in the header) its look-ahead: decoded length equals input length.
    """

    needs_audio = True

    def __init__(self, sample_rate: int, bit_rate: int = 32000) -> None:
        if sample_rate not in OPUS_RATES:
            raise ValueError(f"libopus needs one of {OPUS_RATES} Hz, got {sample_rate}")
        super().__init__(sample_rate)
        self._codec = av.CodecContext.create("libopus", "w")
        self._codec.sample_rate = sample_rate
        self._codec.layout = "mono"
        self._codec.format = "flt"
        self._codec.bit_rate = bit_rate
        self._codec.open()
        self._writer = OggPageWriter(secrets.randbits(32))
        self._scale = _GRANULE_RATE // sample_rate
        self._pts = 0
        self._granule = 0
        self._headers: bytes | None = self._header_pages()

    def _header_pages(self) -> bytes:
        head = bytes(self._codec.extradata or b"")
        if not head.startswith(b"OpusHead"):
            raise RuntimeError("libopus produced no OpusHead header")
        return self._writer.pages([head], [0]) + self._writer.pages([_opus_tags()], [0])

    def _take_headers(self) -> bytes:
        headers, self._headers = self._headers or b"", None
        return headers

    def _encode(self, pcm: PCM) -> bytes:
        frame = float_frame(pcm, self.sample_rate, self._pts)
        self._pts += pcm.size
        return self._take_headers() + self._pages(self._codec.encode(frame), last=False)

    def _flush(self) -> bytes:
        return self._take_headers() + self._pages(self._codec.encode(None), last=True)

    def _pages(self, packets: Sequence[av.Packet[Any]], *, last: bool) -> bytes:
        data: list[bytes] = []
        granules: list[int] = []
        for packet in packets:
            # libopus shortens the last packet's duration to the real audio, so the running
            # sum (pre-skip included) is the exact granule position RFC 7845 asks for.
            self._granule += (packet.duration or 0) * self._scale
            data.append(bytes(packet))
            granules.append(self._granule)
        if not data and not last:
            return b""
        return self._writer.pages(data, granules, last=last)
