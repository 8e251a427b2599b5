"""DSP rendering of the prosody an engine cannot render natively.

Pitch, pitch range and (for engines without a duration control) rate are rendered by WORLD
analysis/re-synthesis (pyworld): the spectral envelope is kept, so formants do not move and the
voice does not turn into a chipmunk. Gain is a plain multiplication. Neutral prosody costs nothing:
callers skip this module when there is nothing to render.

F0 is tracked with pYIN (librosa) rather than WORLD's own DIO/Harvest: on low male voices
(Piper's joe) those make octave errors that re-synthesis turns into a voice 8-13 semitones too
high, while pYIN's tracking holds (measured: +3 st asked, +2.65 st rendered).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyworld

from voxserve.types import PCM, Prosody

_FRAME_MS = 5.0
_SEMITONE = np.log(2.0) / 12.0
_F0_MIN, _F0_MAX = 50.0, 600.0


def warm_up() -> None:
    """Run the F0 tracker once, so that the first emotional request does not pay its start-up."""
    rate = 16000
    tone = np.sin(2 * np.pi * 150 * np.arange(rate // 2) / rate).astype(np.float32)
    world_render(tone, rate, Prosody(pitch=1.0))


def needs_world(prosody: Prosody) -> bool:
    """Whether rendering ``prosody`` needs a WORLD re-synthesis (pitch, range or rate change)."""
    return prosody.pitch != 0.0 or prosody.pitch_range != 1.0 or prosody.rate != 1.0


def reshape_f0(
    f0: npt.NDArray[np.float64], pitch: float, pitch_range: float
) -> npt.NDArray[np.float64]:
    """Shift voiced F0 by ``pitch`` semitones; scale its excursion (log F0) by ``pitch_range``.

    A narrower range is scaled around the utterance's mean log F0 (0.6 flattens the melody about
    its centre). A wider one is scaled up from the speaker's floor (10th percentile), as speakers
    widen their range by raising the peaks: widening downwards would push low voices under
    ~70 Hz, where they turn creaky and the melody is lost. Unvoiced frames stay unvoiced.
    """
    out = f0.copy()
    voiced = f0 > 0
    if not voiced.any():
        return out
    log_f0 = np.log(f0[voiced])
    anchor = np.percentile(log_f0, 10) if pitch_range > 1 else log_f0.mean()
    out[voiced] = np.exp(anchor + (log_f0 - anchor) * pitch_range + pitch * _SEMITONE)
    return out


def _stretch_frames(array: npt.NDArray[np.float64], rate: float) -> npt.NDArray[np.float64]:
    """Resample a frame sequence in time (rate > 1 is shorter), nearest frame, keeping voicing."""
    count = max(1, round(len(array) / rate))
    index = np.minimum((np.arange(count) * rate).round().astype(np.int64), len(array) - 1)
    return np.ascontiguousarray(array[index])


def track_f0(pcm: PCM, sample_rate: int) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """F0 (Hz, 0 where unvoiced) and frame times every 5 ms, tracked with pYIN."""
    import librosa  # imported here: only emotional speech needs it

    hop = round(sample_rate * _FRAME_MS / 1000)
    coarse = 4  # pYIN every 20 ms, interpolated to WORLD's 5 ms frames
    f0, voiced, _ = librosa.pyin(
        pcm,
        fmin=_F0_MIN,
        fmax=_F0_MAX,
        sr=sample_rate,
        frame_length=2048,
        hop_length=hop * coarse,
    )
    times = np.arange(len(pcm) // hop + 1, dtype=np.float64) * (_FRAME_MS / 1000)
    coarse_times = np.arange(len(f0)) * (hop * coarse / sample_rate)
    voiced = voiced & np.isfinite(f0)
    if not voiced.any():
        return np.zeros_like(times), times
    is_voiced = np.interp(times, coarse_times, voiced.astype(np.float64)) > 0.5
    smooth = np.interp(times, coarse_times[voiced], f0[voiced])
    return np.where(is_voiced, smooth, 0.0).astype(np.float64), times


def world_render(pcm: PCM, sample_rate: int, prosody: Prosody) -> PCM:
    """Re-synthesize ``pcm`` with the pitch, pitch range and rate of ``prosody``."""
    if len(pcm) < sample_rate // 20:
        return pcm
    x = pcm.astype(np.float64)
    f0, times = track_f0(pcm.astype(np.float32), sample_rate)
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
