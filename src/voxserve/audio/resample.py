"""Sample-rate conversion with libsoxr (high quality), for whole buffers and for streams."""

from __future__ import annotations

import numpy as np
import soxr  # type: ignore[import-untyped, unused-ignore]

from voxserve.audio.samples import as_mono
from voxserve.types import PCM

_QUALITY = "HQ"


def _check_rate(name: str, rate: int) -> None:
    if rate <= 0:
        raise ValueError(f"{name} must be a positive sample rate, got {rate}")


def resample(pcm: PCM, src_rate: int, dst_rate: int) -> PCM:
    """Resample mono float32 ``pcm`` from ``src_rate`` to ``dst_rate`` (as is when equal)."""
    _check_rate("src_rate", src_rate)
    _check_rate("dst_rate", dst_rate)
    x = as_mono(pcm)
    if src_rate == dst_rate or x.size == 0:
        return x
    out = soxr.resample(x, src_rate, dst_rate, quality=_QUALITY)
    return np.asarray(out, dtype=np.float32)


class StreamResampler:
    """Resample a stream that arrives in pieces, without seams at the piece boundaries.

    Resampling each piece alone would restart the filter at every boundary (a click) and
    round each piece's length separately (drift); one soxr stream avoids both. The filter
    holds back a few milliseconds, which :meth:`finish` releases.
    """

    def __init__(self, src_rate: int, dst_rate: int) -> None:
        _check_rate("src_rate", src_rate)
        _check_rate("dst_rate", dst_rate)
        self.src_rate = src_rate
        self.dst_rate = dst_rate
        self._stream = soxr.ResampleStream(src_rate, dst_rate, 1, dtype="float32", quality=_QUALITY)

    def feed(self, pcm: PCM) -> PCM:
        """Resample the next piece; returns the output ready so far (may be empty)."""
        return self._chunk(as_mono(pcm), last=False)

    def finish(self) -> PCM:
        """Flush the samples the filter still holds."""
        return self._chunk(np.zeros(0, dtype=np.float32), last=True)

    def _chunk(self, x: PCM, *, last: bool) -> PCM:
        out = self._stream.resample_chunk(x, last=last)
        return np.asarray(out, dtype=np.float32)
