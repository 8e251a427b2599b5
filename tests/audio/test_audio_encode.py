"""Every format, whole-file and streamed in uneven pieces, decoded back with PyAV."""

from __future__ import annotations

import numpy as np
import pytest
from audio_testkit import Decoded, decode_bytes, speech_like, uneven_chunks
from scipy.signal import correlate

from voxserve.audio import (
    codec_rate,
    content_type,
    encode,
    encode_pieces,
    encoder_priming,
    open_encoder,
    resample,
)
from voxserve.errors import OutOfRangeError, UnknownFormatError
from voxserve.types import PCM, AudioFormat

DECODABLE = [f for f in AudioFormat if f is not AudioFormat.PCM]


def frame_size(fmt: AudioFormat, enc_rate: int) -> int:
    """Samples per codec frame as decoded: one frame is the allowed slack in duration."""
    if fmt is AudioFormat.MP3:
        return 1152 if enc_rate >= 32000 else 576
    if fmt is AudioFormat.AAC:
        return 1024
    if fmt is AudioFormat.OPUS:
        return 960  # 20 ms at 48 kHz, the rate Opus decodes at
    return 1  # PCM formats are exact


def stream(fmt: AudioFormat, pcm: PCM, rate: int, output_rate: int | None = None) -> bytes:
    encoder = open_encoder(fmt, rate, output_rate=output_rate)
    pieces = [encoder.feed(chunk) for chunk in uneven_chunks(pcm)]
    return b"".join(pieces) + encoder.finish()


def decoded_rate(fmt: AudioFormat, rate: int) -> int:
    return 48000 if fmt is AudioFormat.OPUS else codec_rate(fmt, rate)


def check_decoded(
    fmt: AudioFormat, out: Decoded, pcm: PCM, rate: int, *, whole_file: bool, enc_rate: int
) -> None:
    """Right rate and channels; the input's duration, plus declared priming, within a frame."""
    assert out.rate == decoded_rate(fmt, enc_rate)
    assert out.channels == 1
    expected = pcm.size * out.rate / rate
    scale = out.rate // enc_rate if fmt is AudioFormat.OPUS else 1
    priming = encoder_priming(fmt, whole_file=whole_file) * scale
    extra = out.samples.size - priming - expected
    assert -2 <= extra < frame_size(fmt, enc_rate), (fmt, out.samples.size, priming, expected)


def check_aligned_with_tail(out: Decoded, pcm: PCM, rate: int, priming: int) -> None:
    """The audio starts after the priming, and its last 20 ms (loud) came through."""
    ref = resample(pcm, rate, out.rate).astype(np.float64)
    lag = int(np.argmax(correlate(out.samples, ref, mode="full", method="fft"))) - (ref.size - 1)
    assert abs(lag - priming) <= 1
    tail = round(0.02 * out.rate)
    got = out.samples[lag + ref.size - tail : lag + ref.size]
    want = ref[-tail:]
    assert got.size == tail
    assert np.sqrt(np.mean(got**2)) > 0.5 * np.sqrt(np.mean(want**2))


@pytest.mark.parametrize("rate", [22050, 24000])
@pytest.mark.parametrize("fmt", DECODABLE)
def test_whole_file_decodes_to_input_duration(fmt: AudioFormat, rate: int) -> None:
    pcm = speech_like(rate)
    out = decode_bytes(encode(pcm, rate, fmt))
    check_decoded(fmt, out, pcm, rate, whole_file=True, enc_rate=codec_rate(fmt, rate))


@pytest.mark.parametrize("rate", [22050, 24000])
@pytest.mark.parametrize("fmt", DECODABLE)
def test_stream_of_uneven_chunks_is_one_valid_file(fmt: AudioFormat, rate: int) -> None:
    pcm = speech_like(rate)
    out = decode_bytes(stream(fmt, pcm, rate))
    enc_rate = codec_rate(fmt, rate)
    check_decoded(fmt, out, pcm, rate, whole_file=False, enc_rate=enc_rate)
    scale = out.rate // enc_rate if fmt is AudioFormat.OPUS else 1
    check_aligned_with_tail(out, pcm, rate, encoder_priming(fmt) * scale)


@pytest.mark.parametrize("fmt", DECODABLE)
def test_requested_output_rate(fmt: AudioFormat) -> None:
    pcm = speech_like(22050)
    encoder = open_encoder(fmt, 22050, output_rate=16000)
    assert encoder.sample_rate == 16000
    out = decode_bytes(stream(fmt, pcm, 22050, output_rate=16000))
    check_decoded(fmt, out, pcm, 22050, whole_file=False, enc_rate=16000)
    whole = decode_bytes(encode(pcm, 22050, fmt, output_rate=16000))
    check_decoded(fmt, whole, pcm, 22050, whole_file=True, enc_rate=16000)


@pytest.mark.parametrize("fmt", DECODABLE)
def test_stream_hands_out_bytes_before_finish(fmt: AudioFormat) -> None:
    encoder = open_encoder(fmt, 24000)
    first = encoder.feed(speech_like(24000, seconds=0.5))
    assert len(first) > 0
    rest = encoder.feed(speech_like(24000, seconds=0.5, seed=1)) + encoder.finish()
    assert decode_bytes(first + rest).seconds >= 1.0


def test_mp3_rate_rounds_up_to_a_supported_one() -> None:
    encoder = open_encoder(AudioFormat.MP3, 20000)
    assert encoder.sample_rate == 22050
    assert codec_rate(AudioFormat.OPUS, 22050) == 24000
    assert codec_rate(AudioFormat.FLAC, 22050) == 22050


@pytest.mark.parametrize("fmt", list(AudioFormat))
@pytest.mark.parametrize("whole_file", [False, True])
def test_empty_input_still_makes_a_file(fmt: AudioFormat, whole_file: bool) -> None:
    encoder = open_encoder(fmt, 24000, whole_file=whole_file)
    data = encoder.feed(np.zeros(0, dtype=np.float32)) + encoder.finish()
    if fmt is AudioFormat.PCM:
        assert data == b""
    else:
        assert decode_bytes(data).seconds < 0.2


def test_feed_after_finish_is_an_error() -> None:
    encoder = open_encoder(AudioFormat.MP3, 24000)
    encoder.finish()
    with pytest.raises(RuntimeError):
        encoder.feed(np.zeros(10, dtype=np.float32))
    encoder.close()


def test_close_abandons_a_stream() -> None:
    encoder = open_encoder(AudioFormat.AAC, 24000)
    encoder.feed(speech_like(24000, seconds=0.2))
    encoder.close()
    encoder.close()
    with pytest.raises(RuntimeError):
        encoder.finish()


def test_content_types() -> None:
    assert content_type(AudioFormat.MP3) == "audio/mpeg"
    assert content_type("wav") == "audio/wav"
    assert content_type("opus") == "audio/ogg"
    assert content_type("aac") == "audio/aac"
    assert content_type("flac") == "audio/flac"
    assert content_type("pcm") == "audio/pcm"


def test_unknown_format_and_bad_rate() -> None:
    with pytest.raises(UnknownFormatError) as info:
        open_encoder("ogg-vorbis", 24000)
    assert info.value.param == "format"
    with pytest.raises(OutOfRangeError):
        open_encoder(AudioFormat.WAV, 24000, output_rate=1000)
    with pytest.raises(ValueError):
        open_encoder(AudioFormat.WAV, 0)


def test_stereo_input_is_rejected() -> None:
    with pytest.raises(ValueError):
        encode(np.zeros((2, 100), dtype=np.float32), 24000, AudioFormat.WAV)


@pytest.mark.parametrize("fmt", list(AudioFormat))
def test_pieces_encode_as_their_concatenation(fmt: AudioFormat) -> None:
    pcm = speech_like(24000, 1.3)
    pcm[100] = 1.7  # an overshoot in a piece is clipped as it would be in the whole
    pieces = list(uneven_chunks(pcm))
    assert len(pieces) > 2
    whole = encode(pcm, 24000, fmt)
    if fmt in (AudioFormat.WAV, AudioFormat.PCM, AudioFormat.FLAC, AudioFormat.MP3):
        assert encode_pieces(pieces, 24000, fmt) == whole
    else:  # containers with a random stream serial: the same audio, decoded
        a, b = decode_bytes(encode_pieces(pieces, 24000, fmt)), decode_bytes(whole)
        np.testing.assert_array_equal(a.samples, b.samples)


def test_no_pieces_encode_as_empty_audio() -> None:
    assert encode_pieces([], 24000, AudioFormat.WAV) == encode(np.zeros(0), 24000, "wav")
