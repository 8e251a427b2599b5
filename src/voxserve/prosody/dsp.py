"""DSP rendering of the prosody an engine cannot render natively.

Pitch, pitch range and (for engines without a duration control) rate are rendered by WORLD
analysis/re-synthesis (pyworld): the spectral envelope is kept, so formants do not move and the
voice does not turn into a chipmunk. Gain is a plain multiplication. Neutral prosody costs nothing:
callers skip this module when there is nothing to render.

F0 tracking. WORLD's own DIO and Harvest make octave errors on low male voices: Piper's joe has a
weak fundamental, and DIO follows its second harmonic on most voiced frames, which re-synthesis
turns into a voice 8-13 semitones too high. pYIN (librosa) holds, but cost about 0.12 s per second
of speech, two thirds of the rendering. The tracker here is YIN's normalized difference function
on the speech resampled to 8 kHz, every 10 ms (46 ms windows), each frame's five deepest dips
being its candidate periods; a Viterbi path through them and an unvoiced state charges a dip's
depth, each octave jumped between frames, each voicing change, a candidate whose half period dips
about as deep (a likely subharmonic: YIN's first-dip rule), and in a second pass each octave away
from the first path's median F0 (so that a short voiced stretch alone between pauses does not
take its second harmonic). It costs about 0.006 s per second of speech.

Measured on 2 shared cores. Tracking 66 renditions of joe (202 s) against pYIN every 5 ms, 16
frames in 4 renditions (the longest stretch 45 ms) came out more than 6 semitones off, where pYIN
every 20 ms (the tracker this replaced) had 39, one 195 ms stretch an octave up; none on
espeak-ng (en, zh) or baker-zh. Aperiodicity (D4C, the dearest analysis) is analysed every 10 ms
and interpolated onto the 5 ms frames; envelope and synthesis stay at 5 ms. With both changes
(bench/dsp_cost.py): asked +3 / -3 semitones render +3.1 / -2.9 on joe, frame by frame; the
rendering costs 0.056 s per second of joe's speech (0.176 before), and Piper's emotions 1.5x its
neutral speech (2.8x before). DNSMOS of six joe sentences shifted +3 semitones: SIG 3.34, OVRL
3.01 (before 3.19, 2.61; the speech itself 3.49, 3.22).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyworld
from numpy.lib.stride_tricks import sliding_window_view
from scipy.fft import next_fast_len

from voxserve.audio.resample import resample
from voxserve.types import PCM, Prosody

_FRAME_MS = 5.0
_APERIODICITY_STEP = 2
"""Aperiodicity is analysed on every second frame (every 10 ms) and interpolated."""
_SEMITONE = np.log(2.0) / 12.0
_F0_MIN, _F0_MAX = 50.0, 600.0

# The F0 tracker (see the module docstring): YIN's difference function on speech resampled to
# 8 kHz, every 10 ms, with the best path through each frame's deepest dips.
_TRACK_RATE = 8000
_TRACK_HOP_S = 0.010
_TRACK_WINDOW_S = 0.046
_CANDIDATES = 5
_UNVOICED_COST = 0.7
"""The price of calling a frame unvoiced, against a dip's depth (0 periodic, about 1 noise).
Higher than YIN's usual threshold so that the weakly periodic edges of voiced sounds stay voiced:
on joe, DNSMOS SIG after re-synthesis rose from 3.04 (at 0.5) to 3.32, octave errors stayed rare."""
_JUMP_COST = 2.0
"""Per octave of F0 jump between two voiced frames."""
_SWITCH_COST = 0.3
"""Per change between voiced and unvoiced."""
_CENTRE_COST = 0.25
"""Per octave away from the utterance's median F0 (the second pass)."""
_SUBHARMONIC_COST = 0.2
"""For a candidate whose half period dips within ``_SUBHARMONIC_MARGIN`` of its own depth."""
_SUBHARMONIC_MARGIN = 0.1
_QUIET = 1e-3
"""Frames quieter than this fraction of the loud frames' energy (95th percentile) are unvoiced."""


def warm_up() -> None:
    """Run the renderer (tracker, resampler, WORLD) once on a short tone, so that the first
    emotional request pays no first-call set-up."""
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
    """F0 (Hz, 0 where unvoiced) on WORLD's frames, and the frames' times (see the module doc)."""
    audio = resample(pcm, sample_rate, _TRACK_RATE).astype(np.float64)
    hop = round(_TRACK_HOP_S * _TRACK_RATE)
    difference, energy = _yin_difference(audio, hop)
    periods, costs = _period_candidates(difference)
    # Quiet frames are unvoiced whatever their periodicity (the tail of a word, a pause).
    quiet = energy <= max(_QUIET * float(np.percentile(energy, 95)), 1e-12)
    unvoiced = np.where(quiet, -1.0, _UNVOICED_COST)
    f0 = _TRACK_RATE / _best_periods(periods, costs, unvoiced)
    return _on_world_frames(np.nan_to_num(f0), _TRACK_HOP_S, len(pcm), sample_rate)


def _yin_difference(
    audio: npt.NDArray[np.float64], hop: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """YIN's cumulative mean normalized difference (frames x lags) and each frame's energy.

    Frames are centred every ``hop`` samples. A periodic frame dips near 0 at its period and at
    the period's multiples; an aperiodic one stays near 1.
    """
    longest = int(np.ceil(_TRACK_RATE / _F0_MIN))
    window = round(_TRACK_WINDOW_S * _TRACK_RATE)
    size = window + longest + 1
    padded = np.pad(audio, (size // 2, size // 2 + hop))
    frames = sliding_window_view(padded, size)[::hop][: len(audio) // hop + 1]
    # Correlation of the window with the frame at every lag, by FFT (no wrap-around: fft >= size).
    fft = next_fast_len(size)
    spectrum = np.fft.rfft(frames, fft) * np.conj(np.fft.rfft(frames[:, :window], fft))
    correlation = np.fft.irfft(spectrum, fft)[:, : longest + 1]
    squares = np.cumsum(np.pad(frames**2, ((0, 0), (1, 0))), axis=1)
    energy = squares[:, window : window + longest + 1] - squares[:, : longest + 1]
    difference = np.maximum(energy[:, :1] + energy - 2.0 * correlation, 0.0)
    mean = np.cumsum(difference[:, 1:], axis=1) / np.arange(1, longest + 1)
    normalized = np.ones_like(difference)
    normalized[:, 1:] = difference[:, 1:] / np.maximum(mean, 1e-12)
    return normalized, energy[:, 0] / window


def _period_candidates(
    difference: npt.NDArray[np.float64],
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """The deepest dips of each frame: their periods (samples, refined between lags by a
    parabola) and depths as costs; a frame with fewer dips gets unusable candidates (cost 1e3)."""
    shortest, longest = int(_TRACK_RATE / _F0_MAX), difference.shape[1] - 2
    middle = difference[:, shortest:longest]
    before = difference[:, shortest - 1 : longest - 1]
    after = difference[:, shortest + 1 : longest + 1]
    depth = np.where((middle < before) & (middle <= after), middle, np.inf)
    lags = np.argsort(depth, axis=1)[:, :_CANDIDATES]
    found = np.isfinite(np.take_along_axis(depth, lags, axis=1))
    lags += shortest
    rows = np.arange(len(difference))[:, None]
    left, centre, right = (difference[rows, lags + k] for k in (-1, 0, 1))
    curve = left - 2.0 * centre + right
    offset = np.clip(0.5 * (left - right) / np.where(curve > 1e-12, curve, 1.0), -0.5, 0.5)
    offset = np.where(curve > 1e-12, offset, 0.0)
    periods = np.where(found, lags + offset, float(longest))
    costs = np.where(found, centre - 0.25 * (left - right) * offset, 1e3)
    return periods, costs + _subharmonic_costs(periods, costs)


def _subharmonic_costs(
    periods: npt.NDArray[np.float64], costs: npt.NDArray[np.float64]
) -> npt.NDArray[np.float64]:
    """YIN's preference for the first dip: a candidate whose half period dips about as deep
    is likely a subharmonic (twice the true period), and is charged for it."""
    ratio = np.log2(periods[:, :, None] / (2.0 * periods[:, None, :]))
    deep = costs[:, None, :] < costs[:, :, None] + _SUBHARMONIC_MARGIN
    halved = ((np.abs(ratio) < 0.07) & deep).any(axis=2)
    return np.where(halved, _SUBHARMONIC_COST, 0.0)


def _best_periods(
    periods: npt.NDArray[np.float64],
    costs: npt.NDArray[np.float64],
    unvoiced: npt.NDArray[np.float64],
) -> npt.NDArray[np.float64]:
    """The period of each frame (NaN where unvoiced) on the cheapest path through the candidates.

    A second pass charges each candidate for its distance from the first path's median F0, so
    that an isolated voiced stretch (a short word after a pause, with no neighbours to follow)
    does not jump an octave when its second harmonic dips deeper than its fundamental.
    """
    log_periods = np.log2(periods)
    path = _cheapest_path(log_periods, costs, unvoiced)
    rows = np.arange(len(path))
    voiced = path < periods.shape[1]
    if voiced.any():
        centre = float(np.median(log_periods[rows[voiced], path[voiced]]))
        costs = costs + _CENTRE_COST * np.abs(log_periods - centre)
        path = _cheapest_path(log_periods, costs, unvoiced)
        voiced = path < periods.shape[1]
    return np.where(voiced, periods[rows, np.minimum(path, periods.shape[1] - 1)], np.nan)


def _cheapest_path(
    log_periods: npt.NDArray[np.float64],
    costs: npt.NDArray[np.float64],
    unvoiced: npt.NDArray[np.float64],
) -> npt.NDArray[np.int64]:
    """Viterbi over each frame's candidates plus an unvoiced state (the last index): a state
    costs its dip depth, a move between voiced frames its jump in octaves, voicing on or off a
    fixed price."""
    frames, count = costs.shape
    states = np.concatenate([costs, unvoiced[:, None]], axis=1)
    total = states[0].copy()
    back = np.zeros((frames, count + 1), dtype=np.int64)
    step = np.full((count + 1, count + 1), _SWITCH_COST)
    step[count, count] = 0.0
    for t in range(1, frames):
        jumps = np.abs(log_periods[t - 1][:, None] - log_periods[t][None, :])
        step[:count, :count] = _JUMP_COST * jumps
        options = total[:, None] + step
        back[t] = np.argmin(options, axis=0)
        total = options[back[t], np.arange(count + 1)] + states[t]
    path = np.empty(frames, dtype=np.int64)
    path[-1] = int(np.argmin(total))
    for t in range(frames - 1, 0, -1):
        path[t - 1] = back[t, path[t]]
    return path


def _on_world_frames(
    f0: npt.NDArray[np.float64], step_s: float, length: int, sample_rate: int
) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """``f0`` (one every ``step_s``), interpolated in log F0 onto WORLD's frames of ``length``."""
    hop = round(sample_rate * _FRAME_MS / 1000)
    times = np.arange(length // hop + 1, dtype=np.float64) * (_FRAME_MS / 1000)
    voiced = f0 > 0
    if not voiced.any():
        return np.zeros_like(times), times
    steps = np.arange(len(f0)) * step_s
    is_voiced = np.interp(times, steps, voiced.astype(np.float64)) > 0.5
    log_f0 = np.interp(times, steps[voiced], np.log(f0[voiced]))
    return np.where(is_voiced, np.exp(log_f0), 0.0), times


def world_render(pcm: PCM, sample_rate: int, prosody: Prosody) -> PCM:
    """Re-synthesize ``pcm`` with the pitch, pitch range and rate of ``prosody``."""
    if len(pcm) < sample_rate // 20:
        return pcm
    x = pcm.astype(np.float64)
    f0, times = track_f0(pcm.astype(np.float32), sample_rate)
    envelope = pyworld.cheaptrick(x, f0, times, sample_rate)
    aperiodicity = _sparse_aperiodicity(x, f0, times, sample_rate)
    f0 = reshape_f0(f0, prosody.pitch, prosody.pitch_range)
    if prosody.rate != 1.0:
        f0 = _stretch_frames(f0, prosody.rate)
        envelope = _stretch_frames(envelope, prosody.rate)
        aperiodicity = _stretch_frames(aperiodicity, prosody.rate)
    y = pyworld.synthesize(f0, envelope, aperiodicity, sample_rate, frame_period=_FRAME_MS)
    return np.asarray(y, dtype=np.float32)


def _sparse_aperiodicity(
    x: npt.NDArray[np.float64],
    f0: npt.NDArray[np.float64],
    times: npt.NDArray[np.float64],
    sample_rate: int,
) -> npt.NDArray[np.float64]:
    """D4C's aperiodicity on every ``_APERIODICITY_STEP``-th frame, linearly interpolated to all.

    D4C is WORLD's dearest analysis, and aperiodicity moves slowly: analysed every 10 ms it gave
    the same spectral distance to the original and the same DNSMOS on Piper's joe as every 5 ms.
    """
    step = _APERIODICITY_STEP
    coarse = pyworld.d4c(
        x, np.ascontiguousarray(f0[::step]), np.ascontiguousarray(times[::step]), sample_rate
    )
    position = np.arange(len(f0)) / step
    below = np.minimum(position.astype(np.int64), len(coarse) - 1)
    above = np.minimum(below + 1, len(coarse) - 1)
    weight = (position - below)[:, None]
    return np.ascontiguousarray(coarse[below] * (1.0 - weight) + coarse[above] * weight)


def render(pcm: PCM, sample_rate: int, prosody: Prosody) -> PCM:
    """Apply the non-native part of ``prosody`` (pitch, range, rate, gain) to ``pcm``."""
    if needs_world(prosody):
        pcm = world_render(pcm, sample_rate, prosody)
    if prosody.gain_db != 0.0:
        pcm = (pcm * np.float32(10.0 ** (prosody.gain_db / 20.0))).astype(np.float32)
    return pcm
