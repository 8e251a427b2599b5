"""Resampling: lengths, identity, pitch kept, and streams without seams."""

from __future__ import annotations

import numpy as np
import pytest
from audio_testkit import speech_like, uneven_chunks

from voxserve.audio import StreamResampler, resample


def dominant_hz(x: np.ndarray, rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(x * np.hanning(x.size)))
    return float(np.argmax(spectrum)) * rate / x.size


@pytest.mark.parametrize(("src", "dst"), [(22050, 16000), (24000, 48000), (16000, 22050)])
def test_length_follows_the_rate_ratio(src: int, dst: int) -> None:
    pcm = speech_like(src)
    out = resample(pcm, src, dst)
    assert out.dtype == np.float32
    assert abs(out.size - pcm.size * dst / src) <= 1


def test_equal_rates_return_the_input() -> None:
    pcm = speech_like(24000)
    out = resample(pcm, 24000, 24000)
    np.testing.assert_array_equal(out, pcm)
    assert resample(np.zeros(0, dtype=np.float32), 24000, 16000).size == 0


def test_a_tone_keeps_its_pitch() -> None:
    t = np.arange(22050) / 22050
    tone = (0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32)
    assert dominant_hz(resample(tone, 22050, 16000), 16000) == pytest.approx(1000, abs=2)


def test_stream_matches_the_whole_buffer() -> None:
    pcm = speech_like(22050)
    stream = StreamResampler(22050, 24000)
    pieces = [stream.feed(chunk) for chunk in uneven_chunks(pcm)] + [stream.finish()]
    joined = np.concatenate(pieces)
    whole = resample(pcm, 22050, 24000)
    assert joined.size == whole.size
    assert float(np.max(np.abs(joined - whole))) < 1e-3


def test_bad_rates_are_refused() -> None:
    with pytest.raises(ValueError):
        resample(np.zeros(10, dtype=np.float32), 0, 16000)
    with pytest.raises(ValueError):
        StreamResampler(24000, -1)
