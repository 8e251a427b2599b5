"""Trimming of the silence engines leave at the edges of an utterance.

The pipeline inserts its own pauses between units (they follow punctuation and emotion), so an
engine's own leading and trailing silence would add to them unevenly.
"""

from __future__ import annotations

import numpy as np

from voxserve.types import PCM

_THRESHOLD = 10.0 ** (-50.0 / 20.0)
"""Samples below -50 dBFS count as silence (espeak and Piper idle far below that)."""
_KEEP_S = 0.03
"""Silence kept at each edge, so that onsets and decays are not cut."""


def trim_silence(pcm: PCM, sample_rate: int, keep_s: float = _KEEP_S) -> PCM:
    """``pcm`` without leading and trailing silence beyond ``keep_s`` seconds at each edge.

    All-silent input becomes ``keep_s`` of silence rather than nothing.
    """
    start, end = trim_bounds(pcm, sample_rate, keep_s)
    if start == end:
        return np.zeros(min(round(keep_s * sample_rate), len(pcm)), dtype=np.float32)
    return np.ascontiguousarray(pcm[start:end], dtype=np.float32)


def trim_bounds(pcm: PCM, sample_rate: int, keep_s: float = _KEEP_S) -> tuple[int, int]:
    """Where :func:`trim_silence` cuts: the first sample kept and the one after the last
    (equal when all of ``pcm`` is silent)."""
    keep = round(keep_s * sample_rate)
    loud = np.flatnonzero(np.abs(pcm) > _THRESHOLD)
    if loud.size == 0:
        return 0, 0
    return max(int(loud[0]) - keep, 0), min(int(loud[-1]) + 1 + keep, len(pcm))
