"""PyAV frame and codec helpers shared by the codec-based encoders."""

from __future__ import annotations

from fractions import Fraction

import av
import numpy as np

from voxserve.audio.samples import Int16
from voxserve.types import PCM


def float_frame(pcm: PCM, sample_rate: int, pts: int) -> av.AudioFrame:
    """A mono packed-float frame stamped with its position (in samples) in the stream."""
    frame = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(pcm, dtype=np.float32).reshape(1, -1), format="flt", layout="mono"
    )
    return _stamp(frame, sample_rate, pts)


def int16_frame(samples: Int16, sample_rate: int, pts: int) -> av.AudioFrame:
    """A mono packed 16-bit frame stamped with its position (in samples) in the stream."""
    frame = av.AudioFrame.from_ndarray(
        np.ascontiguousarray(samples, dtype=np.int16).reshape(1, -1), format="s16", layout="mono"
    )
    return _stamp(frame, sample_rate, pts)


def _stamp(frame: av.AudioFrame, sample_rate: int, pts: int) -> av.AudioFrame:
    frame.sample_rate = sample_rate
    frame.time_base = Fraction(1, sample_rate)
    frame.pts = pts
    return frame
