"""Sample conversions: clipping without needless copies, and float to 16-bit rounding."""

from __future__ import annotations

import numpy as np
import pytest

from voxserve.audio.samples import clipped, int16_bytes, to_int16, write_int16


def test_samples_within_range_are_not_copied() -> None:
    pcm = np.array([0.0, 0.5, -1.0, 1.0], dtype=np.float32)
    assert clipped(pcm) is pcm
    assert clipped(np.zeros(0, dtype=np.float32)).size == 0


def test_out_of_range_samples_are_clipped_into_a_new_array() -> None:
    pcm = np.array([0.0, 1.5, -2.0, np.nan, np.inf, -np.inf], dtype=np.float32)
    out = clipped(pcm)
    assert out is not pcm
    np.testing.assert_array_equal(out, [0.0, 1.0, -1.0, 0.0, 1.0, -1.0])
    assert np.isnan(pcm[3]) and pcm[1] == 1.5  # the caller's samples are left alone


def test_int16_rounds_to_nearest_and_leaves_the_input_alone() -> None:
    pcm = np.array([0.0, 0.5, -0.5, 1.0, -1.0, 1.0 / 32767 * 0.6], dtype=np.float32)
    before = pcm.copy()
    np.testing.assert_array_equal(to_int16(pcm), [0, 16384, -16384, 32767, -32767, 1])
    np.testing.assert_array_equal(pcm, before)
    assert int16_bytes(pcm) == to_int16(pcm).astype("<i2").tobytes()


def test_int16_of_a_long_input_matches_the_whole_array_rounding() -> None:
    # Converted in chunks through a small scratch buffer: the same as one vectorised pass.
    rng = np.random.default_rng(7)
    pcm = rng.uniform(-1.2, 1.2, 40_000 + 123).astype(np.float32)
    pcm[[5, 20_000, 40_100]] = [np.nan, np.inf, -np.inf]
    want = np.rint(np.clip(np.nan_to_num(pcm, nan=0.0, posinf=1.0, neginf=-1.0), -1, 1) * 32767)
    np.testing.assert_array_equal(to_int16(pcm), want.astype(np.int16))
    out = np.empty(pcm.size, dtype=np.int16)
    write_int16(pcm, out)
    np.testing.assert_array_equal(out, want.astype(np.int16))


def test_int16_output_must_match_the_input_length() -> None:
    with pytest.raises(ValueError, match="output samples"):
        write_int16(np.zeros(4, dtype=np.float32), np.empty(3, dtype=np.int16))
