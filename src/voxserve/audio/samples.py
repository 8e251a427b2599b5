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


_CHUNK = 16384
"""Samples converted per step: the float scratch (64 KiB) stays below the server's mmap
threshold (``voxserve.allocator``), so it comes from the heap instead of fresh pages."""


def write_int16(samples: npt.ArrayLike, out: Int16) -> None:
    """Write ``samples`` as int16 into ``out`` (same length), clipped to [-1, 1] and rounded.

    The only buffer of the audio's size is ``out``: a float copy of a whole answer is several
    fresh megabytes, each page of which the kernel must fault in and zero.
    """
    x = clipped(samples)
    if x.shape != out.shape:
        raise ValueError(f"expected {x.size} output samples, got {out.size}")
    scratch = np.empty(min(_CHUNK, x.size), dtype=np.float32)
    for start in range(0, x.size, _CHUNK):
        chunk = x[start : start + _CHUNK]
        part = scratch[: chunk.size]
        np.multiply(chunk, np.float32(_INT16_SCALE), out=part)
        np.rint(part, out=part)
        out[start : start + chunk.size] = part


def to_int16(samples: npt.ArrayLike) -> Int16:
    """Convert float samples to int16 after clipping them to [-1, 1]."""
    x = as_mono(samples)
    out = np.empty(x.size, dtype=np.int16)
    write_int16(x, out)
    return out


def int16_bytes(samples: npt.ArrayLike) -> bytes:
    """Little-endian signed 16-bit bytes (the layout of WAV data and of raw ``pcm``)."""
    return to_int16(samples).astype("<i2", copy=False).tobytes()
