"""Sample conversions shared by the audio modules: input checks, clipping, float to 16-bit."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from voxserve.types import PCM

Int16 = npt.NDArray[np.int16]

_INT16_SCALE = 32767.0


def as_mono(samples: npt.ArrayLike) -> PCM:
    """Return ``samples`` as a 1-D float32 array (no copy when it already is one).

    Raises ``ValueError`` for anything but one channel: every stage here is mono.
    """
    x = np.asarray(samples)
    if x.ndim != 1:
        raise ValueError(f"expected mono samples (a 1-D array), got shape {x.shape}")
    return x.astype(np.float32, copy=False)


def clipped(samples: npt.ArrayLike) -> PCM:
    """Mono float32 samples limited to [-1, 1], with NaN made silent and infinities saturated.

    Engines and DSP can overshoot; clipping before encoding makes overshoot saturate
    instead of wrapping around in integer formats or upsetting a codec. Samples already
    within range come back as they are, without a copy (most do: the pipeline limits peaks).
    """
    x = as_mono(samples)
    # Two passes that allocate nothing; NaN fails both comparisons.
    if x.size == 0 or (x.min() >= -1.0 and x.max() <= 1.0):
        return x
    if not np.isfinite(x).all():
        x = np.nan_to_num(x, nan=0.0, posinf=1.0, neginf=-1.0)
    return np.clip(x, -1.0, 1.0).astype(np.float32, copy=False)


def to_int16(samples: npt.ArrayLike) -> Int16:
    """Convert float samples to int16 after clipping them to [-1, 1]."""
    # One new array, rounded in place: each fresh buffer of this size is a mapping to fault in.
    scaled: PCM = np.multiply(clipped(samples), np.float32(_INT16_SCALE))
    np.rint(scaled, out=scaled)
    return scaled.astype(np.int16)


def int16_bytes(samples: npt.ArrayLike) -> bytes:
    """Little-endian signed 16-bit bytes (the layout of WAV data and of raw ``pcm``)."""
    return to_int16(samples).astype("<i2", copy=False).tobytes()
