import numpy as np
import pytest
import pyworld

from voxserve.prosody import dsp
from voxserve.types import PCM, Prosody

RATE = 24000


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
