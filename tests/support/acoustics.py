"""Acoustic measurements for emotion tests: duration, mean F0, F0 range, loudness."""

from __future__ import annotations

from dataclasses import dataclass

import librosa
import numpy as np
import numpy.typing as npt

from voxserve.audio.loudness import active_rms_db

_RATE = 16000


@dataclass(frozen=True)
class Acoustics:
    duration: float
    """Seconds of audio."""
    f0_mean: float
    """Mean F0 of voiced frames, in semitones relative to 100 Hz."""
    f0_range: float
    """Spread of voiced F0 in semitones: the median absolute deviation, scaled to match a standard
    deviation; robust to the tracker's occasional octave errors on low voices."""
    loudness: float
    """RMS level of the active (non-pause) audio, dB."""


def measure(pcm: npt.NDArray[np.float32], sample_rate: int) -> Acoustics:
    """Measure ``pcm`` with pYIN (F0) and an active-speech RMS."""
    audio = librosa.resample(pcm.astype(np.float32), orig_sr=sample_rate, target_sr=_RATE)
    f0, voiced, _ = librosa.pyin(
        audio, fmin=50, fmax=600, sr=_RATE, frame_length=1024, hop_length=320
    )
    semitones = 12 * np.log2(f0[voiced & np.isfinite(f0)] / 100.0)
    if semitones.size == 0:  # nothing voiced (pYIN finds no periodicity): no melody to measure
        semitones = np.array([np.nan])
    return Acoustics(
        duration=len(pcm) / sample_rate,
        f0_mean=float(np.mean(semitones)),
        f0_range=float(1.4826 * np.median(np.abs(semitones - np.median(semitones)))),
        loudness=active_rms_db(pcm, sample_rate),
    )
