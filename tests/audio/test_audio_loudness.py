"""Gain, RMS level and the soft peak limiter."""

from __future__ import annotations

import numpy as np
import pytest
from audio_testkit import speech_like

from voxserve.audio import active_rms_db, apply_gain_db, peak_db, peak_limit, rms_db
from voxserve.audio.loudness import SILENCE_DB


def sine(amplitude: float, rate: int = 24000, hz: float = 220.0) -> np.ndarray:
    t = np.arange(rate) / rate
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def test_gain_in_decibels() -> None:
    x = sine(0.25)
    np.testing.assert_allclose(apply_gain_db(x, 6.0206), 2 * x, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(apply_gain_db(x, -20.0), x / 10, rtol=1e-5, atol=1e-8)
    same = apply_gain_db(x, 0.0)
    assert same is not x
    np.testing.assert_array_equal(same, x)


def test_rms_and_peak_levels() -> None:
    assert rms_db(sine(1.0)) == pytest.approx(-3.01, abs=0.01)
    assert rms_db(sine(0.1)) == pytest.approx(-23.01, abs=0.01)
    assert peak_db(sine(0.5)) == pytest.approx(-6.02, abs=0.01)
    assert rms_db(np.zeros(100, dtype=np.float32)) == SILENCE_DB
    assert rms_db(np.zeros(0, dtype=np.float32)) == SILENCE_DB
    assert peak_db(np.zeros(0, dtype=np.float32)) == SILENCE_DB


def test_limiter_keeps_the_ceiling() -> None:
    loud = apply_gain_db(speech_like(24000), 12.0)
    out = peak_limit(loud, ceiling=0.9)
    assert out.dtype == np.float32 and out.size == loud.size
    assert float(np.max(np.abs(out))) <= 0.9


def test_limiter_leaves_quiet_audio_alone() -> None:
    quiet = speech_like(24000) * np.float32(0.5)
    np.testing.assert_array_equal(peak_limit(quiet), quiet)


def test_limiter_gain_moves_smoothly() -> None:
    # A tone with one burst twice as loud: hard clipping would flatten the burst's tops;
    # the limiter must turn the gain down over milliseconds instead.
    x = sine(0.5)
    x[12000:12480] *= 2.0
    out = peak_limit(x, ceiling=0.8)
    safe = np.abs(x) > 0.05
    gain = out[safe] / x[safe]
    assert float(np.max(np.abs(np.diff(gain)))) < 0.02
    assert int(np.sum(np.isclose(np.abs(out), 0.8, atol=1e-4))) < 10
    np.testing.assert_array_equal(out[:6000], x[:6000])


def test_limiter_refuses_a_bad_ceiling() -> None:
    with pytest.raises(ValueError):
        peak_limit(sine(0.5), ceiling=1.5)


def test_active_level_ignores_pauses() -> None:
    tone = sine(0.5)
    with_pauses = np.concatenate([tone, np.zeros(48000, dtype=np.float32), tone])
    assert active_rms_db(with_pauses) == pytest.approx(rms_db(tone), abs=0.1)
    assert rms_db(with_pauses) < rms_db(tone) - 2.5
    assert active_rms_db(np.zeros(24000, dtype=np.float32)) == SILENCE_DB
    assert active_rms_db(sine(0.5)[:100]) == pytest.approx(rms_db(sine(0.5)[:100]))
