"""DSP rendering of the prosody an engine cannot render natively.

Pitch, pitch range and (for engines without a duration control) rate are rendered by WORLD
analysis/re-synthesis (pyworld): the spectral envelope is kept, so formants do not move and the
voice does not turn into a chipmunk. Gain is a plain multiplication. Neutral prosody costs nothing:
callers skip this module when there is nothing to render.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyworld

from voxserve.types import PCM, Prosody

_FRAME_MS = 5.0
_SEMITONE = np.log(2.0) / 12.0


def needs_world(prosody: Prosody) -> bool:
    """Whether rendering ``prosody`` needs a WORLD re-synthesis (pitch, range or rate change)."""
    return prosody.pitch != 0.0 or prosody.pitch_range != 1.0 or prosody.rate != 1.0


def reshape_f0(
    f0: npt.NDArray[np.float64], pitch: float, pitch_range: float
) -> npt.NDArray[np.float64]:
    """Shift voiced F0 by ``pitch`` semitones; scale its excursion (log F0) by ``pitch_range``.

    The excursion is scaled around the utterance's mean log F0, so a range of 0.6 flattens the
    melody and 1.5 widens it without moving its centre; unvoiced frames stay unvoiced.
    """
    out = f0.copy()
    voiced = f0 > 0
    if not voiced.any():
        return out
    log_f0 = np.log(f0[voiced])
    centre = log_f0.mean()
    out[voiced] = np.exp(centre + (log_f0 - centre) * pitch_range + pitch * _SEMITONE)
    return out


def _stretch_frames(array: npt.NDArray[np.float64], rate: float) -> npt.NDArray[np.float64]:
    """Resample a frame sequence in time (rate > 1 is shorter), nearest frame, keeping voicing."""
    count = max(1, round(len(array) / rate))
    index = np.minimum((np.arange(count) * rate).round().astype(np.int64), len(array) - 1)
    return np.ascontiguousarray(array[index])


def world_render(pcm: PCM, sample_rate: int, prosody: Prosody) -> PCM:
    """Re-synthesize ``pcm`` with the pitch, pitch range and rate of ``prosody``."""
    if len(pcm) < sample_rate // 20:
        return pcm
    x = pcm.astype(np.float64)
    f0, times = pyworld.dio(x, sample_rate, frame_period=_FRAME_MS)
    f0 = pyworld.stonemask(x, f0, times, sample_rate)
    envelope = pyworld.cheaptrick(x, f0, times, sample_rate)
    aperiodicity = pyworld.d4c(x, f0, times, sample_rate)
    f0 = reshape_f0(f0, prosody.pitch, prosody.pitch_range)
    if prosody.rate != 1.0:
        f0 = _stretch_frames(f0, prosody.rate)
        envelope = _stretch_frames(envelope, prosody.rate)
        aperiodicity = _stretch_frames(aperiodicity, prosody.rate)
    y = pyworld.synthesize(f0, envelope, aperiodicity, sample_rate, frame_period=_FRAME_MS)
    return np.asarray(y, dtype=np.float32)


def render(pcm: PCM, sample_rate: int, prosody: Prosody) -> PCM:
    """Apply the non-native part of ``prosody`` (pitch, range, rate, gain) to ``pcm``."""
    if needs_world(prosody):
        pcm = world_render(pcm, sample_rate, prosody)
    if prosody.gain_db != 0.0:
        pcm = (pcm * np.float32(10.0 ** (prosody.gain_db / 20.0))).astype(np.float32)
    return pcm
