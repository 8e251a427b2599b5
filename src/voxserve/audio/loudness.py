"""Loudness helpers: gain, a soft peak limiter, plain and speech-gated RMS levels."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import minimum_filter1d, uniform_filter1d

from voxserve.audio.samples import as_mono
from voxserve.types import PCM

SILENCE_DB = -120.0
"""The level reported for silence or no samples: a finite floor, safe in arithmetic."""

_LIMITER_WINDOW = 0.005
"""Seconds over which the limiter's gain moves: long enough not to click, short enough to be
unnoticed on a transient."""
_ASSUMED_RATE = 24000
_BLOCK_SECONDS = 0.02
_ABSOLUTE_GATE_DB = -70.0
_RELATIVE_GATE_DB = -20.0


def apply_gain_db(pcm: PCM, db: float) -> PCM:
    """``pcm`` scaled by ``db`` decibels (may exceed [-1, 1]; see :func:`peak_limit`)."""
    x = as_mono(pcm)
    if db == 0.0:
        return x.copy()
    return (x * np.float32(10.0 ** (db / 20.0))).astype(np.float32)


def rms_db(pcm: PCM) -> float:
    """Root-mean-square level in dBFS (a full-scale sine is about -3 dB)."""
    x = as_mono(pcm).astype(np.float64)
    if x.size == 0:
        return SILENCE_DB
    rms = float(np.sqrt(np.mean(x * x)))
    if rms <= 0.0:
        return SILENCE_DB
    return max(SILENCE_DB, 20.0 * float(np.log10(rms)))


def active_rms_db(pcm: PCM, sample_rate: int = _ASSUMED_RATE) -> float:
    """RMS level in dBFS of the parts that are speech, leaving pauses and silence out.

    Loudness matching on plain RMS would make a sentence with long pauses come out louder
    than one without. Here the level is measured over 20 ms blocks, gated like EBU R 128: blocks
    under -70 dBFS are dropped, then those more than 20 dB below the remaining average.
    Returns :data:`SILENCE_DB` when nothing passes the gates.
    """
    x = as_mono(pcm).astype(np.float64)
    block = max(1, round(_BLOCK_SECONDS * sample_rate))
    if x.size < block:
        level = rms_db(pcm)
        return level if level > _ABSOLUTE_GATE_DB else SILENCE_DB
    usable = x[: x.size - x.size % block].reshape(-1, block)
    energy = np.mean(usable * usable, axis=1)
    gated = energy[energy > _db_to_energy(_ABSOLUTE_GATE_DB)]
    if gated.size == 0:
        return SILENCE_DB
    gated = gated[gated > float(np.mean(gated)) * _db_to_energy(_RELATIVE_GATE_DB)]
    return max(SILENCE_DB, 10.0 * float(np.log10(float(np.mean(gated)))))


def _db_to_energy(db: float) -> float:
    return float(10.0 ** (db / 10.0))


def peak_db(pcm: PCM) -> float:
    """Sample peak level in dBFS."""
    x = as_mono(pcm)
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    return SILENCE_DB if peak <= 0.0 else max(SILENCE_DB, 20.0 * float(np.log10(peak)))


def peak_limit(pcm: PCM, ceiling: float = 0.99, sample_rate: int = _ASSUMED_RATE) -> PCM:
    """Keep every sample within ``±ceiling`` by turning the gain down smoothly around peaks.

    The gain needed at each sample is spread to the few milliseconds either side (a minimum
    filter) and then smoothed (a moving average) so it ramps down before a peak and back up
    after it: no hard clipping and no gain steps, hence no clicks. Because every averaged
    value is at most the gain the sample itself needs, the ceiling holds exactly.
    Audio already under the ceiling is returned unchanged.
    """
    if not 0.0 < ceiling <= 1.0:
        raise ValueError(f"ceiling must be in (0, 1], got {ceiling}")
    x = as_mono(pcm)
    peaks = np.abs(x)
    if x.size == 0 or float(peaks.max()) <= ceiling:
        return x.copy()
    need = np.minimum(1.0, ceiling / np.maximum(peaks, 1e-12))
    half = max(1, round(_LIMITER_WINDOW * sample_rate))
    size = 2 * half + 1
    spread = minimum_filter1d(need, size=size, mode="nearest")
    gain = uniform_filter1d(spread, size=size, mode="nearest")
    # Float rounding in the average can leave a hair above the ceiling: pin it.
    limited: PCM = np.clip(x * gain, -ceiling, ceiling).astype(np.float32)
    return limited
