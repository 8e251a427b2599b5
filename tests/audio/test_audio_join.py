"""Silence, edge fades and crossfades."""

from __future__ import annotations

import numpy as np
import pytest

from voxserve.audio import crossfade_join, fade_edges, fade_in, fade_out, silence


def dc(value: float, size: int) -> np.ndarray:
    return np.full(size, value, dtype=np.float32)


def test_silence() -> None:
    s = silence(0.25, 24000)
    assert s.dtype == np.float32 and s.size == 6000 and not s.any()
    assert silence(0, 16000).size == 0
    with pytest.raises(ValueError):
        silence(-1, 16000)


def test_fade_edges_start_and_end_at_zero() -> None:
    x = dc(0.8, 2400)
    out = fade_edges(x, 24000, ms=5)
    assert out[0] == 0.0 and out[-1] == 0.0
    np.testing.assert_array_equal(out[120:-120], x[120:-120])
    assert np.all(np.diff(out[:120]) > 0) and np.all(np.diff(out[-120:]) < 0)
    assert x[0] == np.float32(0.8)  # the input is not modified


def test_faded_units_join_without_steps() -> None:
    units = [fade_edges(dc(v, 1200), 24000) for v in (0.7, -0.7, 0.5)]
    joined = np.concatenate(units)
    assert float(np.max(np.abs(np.diff(joined)))) < 0.02
    raw = np.concatenate([dc(v, 1200) for v in (0.7, -0.7, 0.5)])
    assert float(np.max(np.abs(np.diff(raw)))) > 1.0


def test_fades_on_a_unit_shorter_than_the_fades() -> None:
    out = fade_edges(dc(1.0, 50), 24000, ms=5)
    assert out.size == 50 and out[0] == 0.0 and out[-1] == 0.0
    assert fade_in(np.zeros(0, dtype=np.float32), 24000).size == 0
    assert fade_out(dc(1.0, 1), 24000).tolist() == [1.0]


def test_crossfade_keeps_a_steady_signal_steady() -> None:
    joined = crossfade_join([dc(0.5, 2400), dc(0.5, 2400), dc(0.5, 2400)], 24000, ms=10)
    assert joined.size == 3 * 2400 - 2 * 240
    np.testing.assert_allclose(joined, 0.5, atol=1e-6)


def test_crossfade_moves_between_units_gradually() -> None:
    joined = crossfade_join([dc(1.0, 2400), dc(-1.0, 2400)], 24000, ms=10)
    assert float(np.max(np.abs(np.diff(joined)))) < 0.02
    assert crossfade_join([], 24000).size == 0
