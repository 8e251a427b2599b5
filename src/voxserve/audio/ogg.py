"""A minimal Ogg page writer (RFC 3533) for one logical stream.

FFmpeg's Ogg muxer only emits a page once it holds about a second of audio and offers no
way to flush one early through PyAV; writing the pages here lets every ``feed`` of a
stream hand out all the packets encoded so far.
"""

from __future__ import annotations

import struct
import zlib
from collections.abc import Sequence

_MAX_SEGMENTS = 255
_BOS = 0x02
_EOS = 0x04

# Ogg uses the unreflected CRC-32 (poly 0x04C11DB7, init 0, no final xor). zlib's crc32 is
# the reflected one, which gives the same result on bit-reversed input: this keeps the
# checksum in C rather than a Python loop over every byte.
_REVERSE_BITS = bytes(int(f"{i:08b}"[::-1], 2) for i in range(256))


def _reverse32(value: int) -> int:
    return int(f"{value:032b}"[::-1], 2)


def ogg_crc(data: bytes) -> int:
    """The checksum an Ogg page carries, computed over the page with its CRC field zeroed."""
    reflected = zlib.crc32(data.translate(_REVERSE_BITS), 0xFFFFFFFF) ^ 0xFFFFFFFF
    return _reverse32(reflected)


def _lacing(packet: bytes) -> bytes:
    full, rest = divmod(len(packet), 255)
    return bytes([255] * full + [rest])


class OggPageWriter:
    """Packs whole packets into pages of one logical bitstream (no packet spans two pages)."""

    def __init__(self, serial: int) -> None:
        self._serial = serial & 0xFFFFFFFF
        self._sequence = 0
        self._started = False
        self._granule = 0

    def pages(
        self, packets: Sequence[bytes], granules: Sequence[int], *, last: bool = False
    ) -> bytes:
        """Pages holding ``packets`` in order; ``granules[i]`` is the position after packet ``i``.

        ``last`` marks the final page as the end of the stream. With no packets and ``last``
        set, an empty end-of-stream page (at the previous position) still marks the end.
        """
        if len(packets) != len(granules):
            raise ValueError("one granule position per packet is needed")
        out: list[bytes] = []
        start = 0
        while start < len(packets) or (last and not out):
            end = self._fill(packets, start)
            granule = granules[end - 1] if end > start else self._granule
            is_last = last and end >= len(packets)
            out.append(self._page(packets[start:end], granule, eos=is_last))
            start = end
        return b"".join(out)

    @staticmethod
    def _fill(packets: Sequence[bytes], start: int) -> int:
        """Index one past the last packet that fits on a page beginning at ``start``."""
        used = 0
        end = start
        while end < len(packets):
            need = len(packets[end]) // 255 + 1
            if need > _MAX_SEGMENTS:
                raise ValueError("packet too large for a single Ogg page")
            if used + need > _MAX_SEGMENTS:
                break
            used += need
            end += 1
        return end

    def _page(self, packets: Sequence[bytes], granule: int, *, eos: bool) -> bytes:
        flags = (_BOS if not self._started else 0) | (_EOS if eos else 0)
        self._started = True
        self._granule = granule
        lacing = b"".join(_lacing(p) for p in packets)
        header = b"OggS" + struct.pack(
            "<BBqIIIB", 0, flags, granule, self._serial, self._sequence, 0, len(lacing)
        )
        self._sequence += 1
        page = header + lacing + b"".join(packets)
        crc = struct.pack("<I", ogg_crc(page))
        return page[:22] + crc + page[26:]
