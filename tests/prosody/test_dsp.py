import functools
from pathlib import Path

import librosa
import numpy as np
import numpy.typing as npt
import pytest
import pyworld

from voxserve.engines.piper import SPEC, PiperEngine
from voxserve.prosody import dsp
from voxserve.settings import Settings
from voxserve.types import PCM, Prosody

RATE = 24000
LOW_RATE = 22050


def _voiced_signal(seconds: float = 1.5) -> PCM:
    """A harmonic tone whose F0 glides 120..180 Hz, like a speaking voice's melody."""
    t = np.arange(int(RATE * seconds)) / RATE
    f0 = 150 + 30 * np.sin(2 * np.pi * 1.5 * t)
    phase = 2 * np.pi * np.cumsum(f0) / RATE
    x = sum(np.sin(k * phase) / k for k in range(1, 20))
    return (0.2 * x).astype(np.float32)


def _f0_stats(pcm: PCM) -> tuple[float, float]:
    f0, _ = pyworld.dio(pcm.astype(np.float64), RATE)
    log_f0 = np.log(f0[f0 > 0])
    return float(np.exp(log_f0.mean())), float(log_f0.std())


def test_pitch_shift_in_semitones() -> None:
    x = _voiced_signal()
    before, _ = _f0_stats(x)
    after, _ = _f0_stats(dsp.render(x, RATE, Prosody(pitch=4.0)))
    assert after / before == pytest.approx(2 ** (4 / 12), rel=0.03)


def test_range_scales_excursion_and_keeps_centre() -> None:
    x = _voiced_signal()
    centre, spread = _f0_stats(x)
    centre2, spread2 = _f0_stats(dsp.render(x, RATE, Prosody(pitch_range=0.5)))
    assert spread2 / spread == pytest.approx(0.5, rel=0.1)
    assert centre2 == pytest.approx(centre, rel=0.03)


def test_wider_range_raises_peaks_from_the_floor() -> None:
    x = _voiced_signal()
    f0, _ = pyworld.dio(x.astype(np.float64), RATE)
    wide = dsp.reshape_f0(f0, 0.0, 1.5)
    voiced = f0 > 0
    floor = np.percentile(np.log(f0[voiced]), 10)
    assert np.percentile(np.log(wide[voiced]), 10) == pytest.approx(floor, abs=0.01)
    assert np.log(wide[voiced]).std() == pytest.approx(1.5 * np.log(f0[voiced]).std(), rel=0.01)


def test_rate_changes_duration_not_pitch() -> None:
    x = _voiced_signal()
    y = dsp.render(x, RATE, Prosody(rate=1.25))
    assert len(y) / len(x) == pytest.approx(0.8, rel=0.02)
    assert _f0_stats(y)[0] == pytest.approx(_f0_stats(x)[0], rel=0.03)


def test_gain_only_skips_resynthesis() -> None:
    x = _voiced_signal()
    y = dsp.render(x, RATE, Prosody(gain_db=-6.0))
    np.testing.assert_allclose(y, x * 10 ** (-6 / 20), rtol=1e-5)


def test_unvoiced_input_survives() -> None:
    noise = (np.random.default_rng(0).standard_normal(RATE) * 0.01).astype(np.float32)
    y = dsp.render(noise, RATE, Prosody(pitch=3.0, pitch_range=1.5))
    assert np.isfinite(y).all()


def _low_voice(seconds: float = 1.5) -> tuple[PCM, npt.NDArray[np.float64]]:
    """A low male-like voice (F0 80..110 Hz) whose fundamental is almost missing, as on Piper's
    joe, and its true F0 per sample: the signal on which WORLD's DIO tracks the second harmonic."""
    t = np.arange(int(LOW_RATE * seconds)) / LOW_RATE
    f0 = 95 + 15 * np.sin(2 * np.pi * 1.2 * t)
    phase = 2 * np.pi * np.cumsum(f0) / LOW_RATE
    weights = {1: 0.05, 2: 1.0, 3: 0.8, 4: 0.6}
    x = sum(weights.get(k, 1.0 / k) * np.sin(k * phase) for k in range(1, 30))
    return (0.1 * x).astype(np.float32), f0


def _pyin(pcm: PCM, rate: int, step_s: float = 0.005) -> npt.NDArray[np.float64]:
    """F0 by pYIN (the measuring tool of the emotion tests), NaN where unvoiced; every 5 ms by
    default, WORLD's frames."""
    f0, voiced, _ = librosa.pyin(
        pcm, fmin=50, fmax=600, sr=rate, frame_length=2048, hop_length=round(rate * step_s)
    )
    return np.where(voiced, f0, np.nan)


def _octave_errors(tracked: npt.NDArray[np.float64], truth: npt.NDArray[np.float64]) -> float:
    """The share of frames voiced in both whose F0 is more than 6 semitones from the truth."""
    size = min(len(tracked), len(truth))
    tracked, truth = tracked[:size], truth[:size]
    both = (tracked > 0) & np.isfinite(truth) & (truth > 0)
    assert both.mean() > 0.3, "too few frames voiced in both to compare"
    return float(np.mean(np.abs(12 * np.log2(tracked[both] / truth[both])) > 6))


def test_tracker_holds_a_low_voice_with_a_weak_fundamental() -> None:
    x, truth = _low_voice()
    f0, times = dsp.track_f0(x, LOW_RATE)
    at_frames = np.interp(times, np.arange(len(truth)) / LOW_RATE, truth)
    voiced = f0 > 0
    assert voiced.mean() > 0.95
    error = np.abs(12 * np.log2(f0[voiced] / at_frames[voiced]))
    assert error.max() < 0.5, f"off by {error.max():.2f} semitones"
    dio, dio_times = pyworld.dio(x.astype(np.float64), LOW_RATE)  # why DIO is not used
    assert _octave_errors(dio, np.interp(dio_times, times, at_frames)) > 0.5


def _framewise_shift(before: PCM, after: PCM, rate: int) -> npt.NDArray[np.float64]:
    """Semitones from ``before`` to ``after`` (same duration) on each frame voiced in both (pYIN
    every 10 ms): a per-frame comparison, which the speech's own voicing changes cannot bias."""
    f0_before, f0_after = _pyin(before, rate, 0.01), _pyin(after, rate, 0.01)
    size = min(len(f0_before), len(f0_after))
    shift = 12 * np.log2(f0_after[:size] / f0_before[:size])
    return shift[np.isfinite(shift)]


def _check_shift(pcm: PCM, rate: int, asked: float) -> None:
    shift = _framewise_shift(pcm, dsp.render(pcm, rate, Prosody(pitch=asked)), rate)
    assert shift.size > 50
    assert np.median(shift) == pytest.approx(asked, abs=0.3)
    octave_off = np.mean(np.abs(shift - asked) > 6)  # rendered an octave (or more) off
    assert octave_off < 0.01, f"{octave_off:.1%} of the frames an octave off"


@pytest.mark.parametrize("asked", [3.0, -3.0])
def test_pitch_shift_on_a_low_voice_is_the_one_asked(asked: float) -> None:
    _check_shift(_low_voice()[0], LOW_RATE, asked)


@functools.cache
def _joe_speech() -> PCM:
    engine = SPEC.load(Settings(model_dir=Path("/nonexistent")))
    assert isinstance(engine, PiperEngine)
    voice = engine.voices()[0]
    text = "The weather is lovely today, so let us take a walk in the park by the lake."
    return engine.synthesize(text, voice, Prosody())


@pytest.mark.slow
def test_no_octave_error_on_piper_joe() -> None:
    pcm = _joe_speech()
    f0, _ = dsp.track_f0(pcm, LOW_RATE)
    assert _octave_errors(f0, _pyin(pcm, LOW_RATE)) < 0.01


@pytest.mark.slow
@pytest.mark.parametrize("asked", [3.0, -3.0])
def test_pitch_shift_on_piper_joe_is_the_one_asked(asked: float) -> None:
    _check_shift(_joe_speech(), LOW_RATE, asked)


def test_warm_up_runs_the_renderer() -> None:
    dsp.warm_up()
