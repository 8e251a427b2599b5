"""Joining units of speech: silence, edge fades and crossfades that keep joins click-free."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from voxserve.audio.samples import as_mono
from voxserve.types import PCM


def silence(seconds: float, rate: int) -> PCM:
    """``seconds`` of digital silence at ``rate`` (rounded to the nearest sample)."""
    if seconds < 0 or rate <= 0:
        raise ValueError(f"need seconds >= 0 and rate > 0, got {seconds} and {rate}")
    return np.zeros(round(seconds * rate), dtype=np.float32)


def _ramp(length: int) -> PCM:
    """A raised-cosine rise from 0 towards 1 over ``length`` samples (excluding the 1)."""
    n = np.arange(length, dtype=np.float64)
    return (0.5 - 0.5 * np.cos(np.pi * n / length)).astype(np.float32)


def _fade_length(size: int, rate: int, ms: float) -> int:
    if ms < 0 or rate <= 0:
        raise ValueError(f"need ms >= 0 and rate > 0, got {ms} and {rate}")
    # A fade longer than half the unit would make fade-in and fade-out overlap.
    return min(round(rate * ms / 1000.0), size // 2)


def fade_in(pcm: PCM, rate: int, ms: float = 5.0) -> PCM:
    """A copy of ``pcm`` that rises from silence over ``ms`` milliseconds."""
    out = as_mono(pcm).copy()
    length = _fade_length(out.size, rate, ms)
    if length:
        out[:length] *= _ramp(length)
    return out


def fade_out(pcm: PCM, rate: int, ms: float = 5.0) -> PCM:
    """A copy of ``pcm`` that falls to silence over its last ``ms`` milliseconds."""
    out = as_mono(pcm).copy()
    length = _fade_length(out.size, rate, ms)
    if length:
        out[out.size - length :] *= _ramp(length)[::-1]
    return out


def fade_edges(pcm: PCM, rate: int, ms: float = 5.0) -> PCM:
    """Short raised-cosine fade-in and fade-out, so that units start and end at zero.

    An engine's output may start or stop mid-waveform; butting such units (or silence)
    together makes a step that is heard as a click. Fading a few milliseconds removes the step
    without audibly touching speech.
    """
    return fade_out(fade_in(pcm, rate, ms), rate, ms)


def crossfade_join(units: Sequence[PCM], rate: int, ms: float = 10.0) -> PCM:
    """Join units, overlapping each junction by ``ms`` with complementary raised-cosine fades.

    The fades sum to one, so a steady signal passes a junction unchanged. The overlap is
    capped at half of the shorter neighbour; the result is shorter than the plain
    concatenation by the overlaps.
    """
    parts = [as_mono(u) for u in units]
    if not parts:
        return np.zeros(0, dtype=np.float32)
    out = parts[0].copy()
    for part in parts[1:]:
        out = _crossfade(out, part, rate, ms)
    return out


def _crossfade(head: PCM, tail: PCM, rate: int, ms: float) -> PCM:
    length = min(_fade_length(head.size, rate, ms), _fade_length(tail.size, rate, ms))
    if length == 0:
        return np.concatenate([head, tail])
    rise = _ramp(length)
    mixed = head[head.size - length :] * (1.0 - rise) + tail[:length] * rise
    return np.concatenate([head[: head.size - length], mixed, tail[length:]]).astype(np.float32)
