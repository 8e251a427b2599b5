"""WAV headers, raw PCM bytes and clipping."""

from __future__ import annotations

import struct

import numpy as np
import pytest
from audio_testkit import decode_bytes, speech_like, uneven_chunks

from voxserve.audio import encode, open_encoder
from voxserve.audio.samples import to_int16
from voxserve.audio.wav import UNKNOWN_SIZE, wav_header
from voxserve.types import AudioFormat


def riff_sizes(data: bytes) -> tuple[int, int]:
    assert data[:4] == b"RIFF" and data[8:16] == b"WAVEfmt " and data[36:40] == b"data"
    return struct.unpack("<I", data[4:8])[0], struct.unpack("<I", data[40:44])[0]


def test_whole_file_wav_header_is_exact() -> None:
    pcm = speech_like(22050)
    data = encode(pcm, 22050, AudioFormat.WAV)
    riff, size = riff_sizes(data)
    assert len(data) == 44 + 2 * pcm.size
    assert riff == len(data) - 8
    assert size == 2 * pcm.size
    channels, rate, byte_rate, align, bits = struct.unpack("<HIIHH", data[22:36])
    assert (channels, rate, byte_rate, align, bits) == (1, 22050, 44100, 2, 16)


def test_streamed_wav_uses_the_unknown_size_sentinel_and_decodes() -> None:
    pcm = speech_like(24000)
    encoder = open_encoder(AudioFormat.WAV, 24000)
    pieces = [encoder.feed(chunk) for chunk in uneven_chunks(pcm)]
    data = b"".join(pieces) + encoder.finish()
    assert pieces[0][:4] == b"RIFF"
    assert riff_sizes(data) == (UNKNOWN_SIZE, UNKNOWN_SIZE)
    assert len(data) == 44 + 2 * pcm.size
    out = decode_bytes(data)
    assert out.samples.size == pcm.size
    np.testing.assert_allclose(out.samples, pcm, atol=2.0 / 32767)


def test_wav_header_refuses_sizes_over_4_gib() -> None:
    with pytest.raises(ValueError):
        wav_header(24000, 2**31)


@pytest.mark.parametrize("whole_file", [False, True])
def test_pcm_is_exactly_two_bytes_per_sample(whole_file: bool) -> None:
    pcm = speech_like(24000)
    encoder = open_encoder(AudioFormat.PCM, 24000, whole_file=whole_file)
    data = b"".join(encoder.feed(c) for c in uneven_chunks(pcm)) + encoder.finish()
    assert len(data) == 2 * pcm.size
    np.testing.assert_array_equal(np.frombuffer(data, dtype="<i2"), to_int16(pcm))


def test_pcm_at_another_rate_has_the_resampled_length() -> None:
    pcm = speech_like(22050)
    data = encode(pcm, 22050, AudioFormat.PCM, output_rate=16000)
    assert abs(len(data) // 2 - pcm.size * 16000 / 22050) <= 1


def test_overshoot_saturates_instead_of_wrapping() -> None:
    loud = np.array([0.0, 1.5, -1.5, 1.0, -1.0, np.nan, np.inf, -np.inf], dtype=np.float32)
    samples = np.frombuffer(encode(loud, 8000, AudioFormat.PCM), dtype="<i2")
    np.testing.assert_array_equal(samples, [0, 32767, -32767, 32767, -32767, 0, 32767, -32767])


@pytest.mark.parametrize("fmt", [AudioFormat.WAV, AudioFormat.FLAC])
def test_clipped_square_wave_keeps_its_sign(fmt: AudioFormat) -> None:
    square = np.where(np.arange(4800) % 48 < 24, 1.3, -1.3).astype(np.float32)
    out = decode_bytes(encode(square, 24000, fmt))
    np.testing.assert_array_equal(np.sign(out.samples), np.sign(square))
    assert np.max(np.abs(out.samples)) <= 1.0
