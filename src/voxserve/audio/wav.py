"""16-bit PCM output: WAV (streamed or exact-sized) and headerless ``pcm`` (s16le)."""

from __future__ import annotations

import struct

import numpy as np

from voxserve.audio.base import BaseEncoder
from voxserve.audio.samples import Int16, int16_bytes, to_int16
from voxserve.types import PCM

_BYTES_PER_SAMPLE = 2
_HEADER_SIZE = 44
UNKNOWN_SIZE = 0xFFFFFFFF
"""The RIFF and data sizes of a streamed WAV, whose length is not known when the header leaves."""


def wav_header(sample_rate: int, num_samples: int | None) -> bytes:
    """A 44-byte header for mono 16-bit WAV; ``num_samples=None`` writes the streaming sentinel.

    Raises ``ValueError`` when the data would not fit the 32-bit RIFF sizes.
    """
    if num_samples is None:
        riff_size = data_size = UNKNOWN_SIZE
    else:
        data_size = num_samples * _BYTES_PER_SAMPLE
        riff_size = data_size + _HEADER_SIZE - 8
        if riff_size >= UNKNOWN_SIZE:
            raise ValueError("audio too long for a WAV file (over 4 GiB)")
    byte_rate = sample_rate * _BYTES_PER_SAMPLE
    return b"".join(
        (
            b"RIFF",
            struct.pack("<I", riff_size),
            b"WAVE",
            b"fmt ",
            # chunk size, PCM tag, channels, rate, byte rate, block align, bits per sample
            struct.pack("<IHHIIHH", 16, 1, 1, sample_rate, byte_rate, _BYTES_PER_SAMPLE, 16),
            b"data",
            struct.pack("<I", data_size),
        )
    )


class RawPcmEncoder(BaseEncoder):
    """Headerless little-endian signed 16-bit mono: exactly two bytes per input sample."""

    def _encode(self, pcm: PCM) -> bytes:
        return int16_bytes(pcm)

    def _flush(self) -> bytes:
        return b""


class WavStreamEncoder(BaseEncoder):
    """WAV whose header leaves first, with the size-unknown sentinel, then data as it comes."""

    def __init__(self, sample_rate: int) -> None:
        super().__init__(sample_rate)
        self._header_sent = False

    def _take_header(self) -> bytes:
        if self._header_sent:
            return b""
        self._header_sent = True
        return wav_header(self.sample_rate, None)

    def _encode(self, pcm: PCM) -> bytes:
        return self._take_header() + int16_bytes(pcm)

    def _flush(self) -> bytes:
        return self._take_header()


class WavFileEncoder(BaseEncoder):
    """WAV with exact sizes in its header: holds the data and returns the file from ``finish``."""

    def __init__(self, sample_rate: int) -> None:
        super().__init__(sample_rate)
        self._parts: list[Int16] = []
        self._samples = 0

    def _encode(self, pcm: PCM) -> bytes:
        # Kept as arrays and copied once, into the file: no intermediate bytes per piece.
        self._parts.append(to_int16(pcm).astype("<i2", copy=False))
        self._samples += pcm.size
        return b""

    def _flush(self) -> bytes:
        parts = [np.ascontiguousarray(p).data for p in self._parts]
        self._parts = []
        return b"".join([wav_header(self.sample_rate, self._samples), *parts])
