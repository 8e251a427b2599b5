"""Acoustic measurements for emotion tests: duration, mean F0, F0 range, loudness."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import librosa
import numpy as np
import numpy.typing as npt

from voxserve.audio.loudness import active_rms_db

_RATE = 16000
_IQR_TO_SIGMA = 1.349
"""The interquartile range of a normal distribution, in standard deviations."""


@dataclass(frozen=True)
class Acoustics:
    duration: float
    """Seconds of audio."""
    f0_mean: float
    """Mean F0 of voiced frames, in semitones relative to 100 Hz."""
    f0_range: float
    """Spread of voiced F0 in semitones: the interquartile range, scaled to match a standard
    deviation; robust to the tracker's occasional octave errors on low voices."""
    loudness: float
    """RMS level of the active (non-pause) audio, dB."""


Audio = tuple[npt.NDArray[np.float32], int]
"""PCM samples and their sample rate."""


def _semitones(pcm: npt.NDArray[np.float32], sample_rate: int) -> npt.NDArray[np.float64]:
    audio = librosa.resample(pcm.astype(np.float32), orig_sr=sample_rate, target_sr=_RATE)
    f0, voiced, _ = librosa.pyin(
        audio, fmin=50, fmax=600, sr=_RATE, frame_length=1024, hop_length=320
    )
    return np.asarray(12 * np.log2(f0[voiced & np.isfinite(f0)] / 100.0), dtype=np.float64)


def measure(pcm: npt.NDArray[np.float32], sample_rate: int) -> Acoustics:
    """Measure ``pcm`` with pYIN (F0) and an active-speech RMS."""
    return measure_renditions([(pcm, sample_rate)])


def measure_renditions(renditions: Sequence[Audio]) -> Acoustics:
    """Measure several renditions of one text as one: the voiced frames of all of them are pooled
    for the melody, and duration and loudness are their medians. Engines that sample their
    durations and noise (Piper) vary from one rendition to the next; pooling steadies the spread."""
    semitones = np.concatenate([_semitones(pcm, rate) for pcm, rate in renditions])
    if semitones.size == 0:  # nothing voiced (pYIN finds no periodicity): no melody to measure
        semitones = np.array([np.nan])
    quartiles = np.percentile(semitones, [25, 75])
    return Acoustics(
        duration=float(np.median([len(pcm) / rate for pcm, rate in renditions])),
        f0_mean=float(np.mean(semitones)),
        f0_range=float((quartiles[1] - quartiles[0]) / _IQR_TO_SIGMA),
        loudness=float(np.median([active_rms_db(pcm, rate) for pcm, rate in renditions])),
    )


def final_rise(pcm: npt.NDArray[np.float32], sample_rate: int) -> float:
    """How far the end of an utterance rises, in semitones: the median F0 of the last 0.5 s of
    its voiced span, less the median F0 of the span's middle third (negative: it falls)."""
    audio = librosa.resample(pcm.astype(np.float32), orig_sr=sample_rate, target_sr=_RATE)
    hop = 160
    f0, voiced, _ = librosa.pyin(
        audio, fmin=50, fmax=700, sr=_RATE, frame_length=1024, hop_length=hop
    )
    keep = voiced & np.isfinite(f0)
    times = (np.arange(len(f0)) * hop / _RATE)[keep]
    semitones = 12 * np.log2(f0[keep] / 100.0)
    start, end = times[0], times[-1]
    third = (end - start) / 3
    middle = semitones[(times >= start + third) & (times < end - third)]
    last = semitones[times >= end - 0.5]
    return float(np.median(last) - np.median(middle))
