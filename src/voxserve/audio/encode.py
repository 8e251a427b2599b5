"""Choosing an encoder for a format: streaming, whole files, content types.

Every format is mono. Codecs with a fixed set of rates (MP3, AAC, Opus) get the nearest
rate at or above the input, resampled on the way in; WAV, PCM and FLAC keep any rate.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

from voxserve.audio.base import BaseEncoder, StreamEncoder
from voxserve.audio.container import AAC, FLAC, MP3, CodecSpec, ContainerEncoder
from voxserve.audio.opus import OPUS_RATES, OpusOggEncoder
from voxserve.audio.resample import StreamResampler
from voxserve.audio.samples import as_mono, clipped
from voxserve.audio.wav import RawPcmEncoder, WavFileEncoder, WavStreamEncoder
from voxserve.errors import UnknownFormatError
from voxserve.types import PCM, SAMPLE_RATE_RANGE, AudioFormat

CONTENT_TYPES: dict[AudioFormat, str] = {
    AudioFormat.WAV: "audio/wav",
    AudioFormat.MP3: "audio/mpeg",
    AudioFormat.OPUS: "audio/ogg",
    AudioFormat.AAC: "audio/aac",
    AudioFormat.FLAC: "audio/flac",
    AudioFormat.PCM: "audio/pcm",
}

_CODECS: dict[AudioFormat, CodecSpec] = {
    AudioFormat.MP3: MP3,
    AudioFormat.AAC: AAC,
    AudioFormat.FLAC: FLAC,
}


def audio_format(value: str | AudioFormat) -> AudioFormat:
    """Parse a format name; raises :class:`UnknownFormatError` for one not served."""
    try:
        return AudioFormat(value)
    except ValueError:
        raise UnknownFormatError(str(value), [f.value for f in AudioFormat]) from None


def content_type(format: str | AudioFormat) -> str:
    """The HTTP ``Content-Type`` for a format (``pcm`` is s16le mono at the stream's rate)."""
    return CONTENT_TYPES[audio_format(format)]


def supported_rates(format: str | AudioFormat) -> tuple[int, ...] | None:
    """The rates a format's codec can encode; ``None`` when any rate will do."""
    fmt = audio_format(format)
    if fmt is AudioFormat.OPUS:
        return OPUS_RATES
    spec = _CODECS.get(fmt)
    return spec.rates if spec is not None else None


def codec_rate(format: str | AudioFormat, sample_rate: int) -> int:
    """The rate ``format`` will be encoded at for audio at ``sample_rate``.

    The lowest supported rate at or above it keeps the whole band without wasting bits;
    above the highest, the highest.
    """
    rates = supported_rates(format)
    if rates is None:
        return sample_rate
    higher = [r for r in rates if r >= sample_rate]
    return min(higher) if higher else max(rates)


def encoder_priming(format: str | AudioFormat, *, whole_file: bool = False) -> int:
    """Leading samples (at the encoded rate) a decoder plays before the audio starts.

    Zero where the file tells decoders to skip them (WAV, PCM, FLAC, Ogg Opus, whole-file
    MP3); streamed MP3 and ADTS AAC have nowhere to say so.
    """
    fmt = audio_format(format)
    spec = _CODECS.get(fmt)
    if spec is None or (whole_file and fmt is AudioFormat.MP3):
        return 0
    return spec.priming


class _ResamplingEncoder:
    """Feeds another encoder through a stream resampler."""

    def __init__(self, inner: StreamEncoder, src_rate: int) -> None:
        self._inner = inner
        self._resampler = StreamResampler(src_rate, inner.sample_rate)

    @property
    def sample_rate(self) -> int:
        return self._inner.sample_rate

    def feed(self, pcm: PCM) -> bytes:
        # Clip first: NaN or overshoot would otherwise smear through the resampling filter.
        return self._inner.feed(self._resampler.feed(clipped(pcm)))

    def finish(self) -> bytes:
        return self._inner.feed(self._resampler.finish()) + self._inner.finish()

    def close(self) -> None:
        self._inner.close()


def _codec_encoder(fmt: AudioFormat, rate: int, whole_file: bool) -> BaseEncoder:
    if fmt is AudioFormat.WAV:
        return WavFileEncoder(rate) if whole_file else WavStreamEncoder(rate)
    if fmt is AudioFormat.PCM:
        return RawPcmEncoder(rate)
    if fmt is AudioFormat.OPUS:
        return OpusOggEncoder(rate)
    return ContainerEncoder(_CODECS[fmt], rate, whole_file=whole_file)


def open_encoder(
    format: str | AudioFormat,
    sample_rate: int,
    *,
    output_rate: int | None = None,
    whole_file: bool = False,
) -> StreamEncoder:
    """Open an encoder for audio arriving at ``sample_rate``.

    ``output_rate`` asks for another rate (as a request's ``sample_rate`` does); formats with
    fixed rates may still round it up (see :func:`codec_rate`), and the encoder's
    ``sample_rate`` says what was chosen. ``whole_file=True`` is for stored files: headers
    are exact (WAV sizes, FLAC length and MD5, MP3 gapless tag) and the bytes come from
    ``finish`` (Opus and PCM still hand out bytes as they go). Streams (the default) hand
    out bytes on every ``feed``.
    """
    fmt = audio_format(format)
    if sample_rate <= 0:
        raise ValueError(f"sample_rate must be positive, got {sample_rate}")
    target = sample_rate
    if output_rate is not None:
        target = int(SAMPLE_RATE_RANGE.check("sample_rate", output_rate))
    inner = _codec_encoder(fmt, codec_rate(fmt, target), whole_file)
    if inner.sample_rate == sample_rate:
        return inner
    return _ResamplingEncoder(inner, sample_rate)


def encode(
    pcm: npt.ArrayLike,
    sample_rate: int,
    format: str | AudioFormat,
    *,
    output_rate: int | None = None,
) -> bytes:
    """Encode a whole buffer as one complete file (exact headers; see :func:`open_encoder`)."""
    encoder = open_encoder(format, sample_rate, output_rate=output_rate, whole_file=True)
    return encoder.feed(as_mono(pcm)) + encoder.finish()


def encode_pieces(pieces: Sequence[PCM], sample_rate: int, format: str | AudioFormat) -> bytes:
    """Encode consecutive pieces of audio as one complete file, as :func:`encode` would their
    concatenation.

    WAV and PCM take the pieces one by one, which spares a joined float copy of the whole
    audio (megabytes of fresh pages for a long answer); other encoders get them joined, so
    that their output never depends on where the pieces were cut."""
    encoder = open_encoder(format, sample_rate, whole_file=True)
    if isinstance(encoder, WavFileEncoder | RawPcmEncoder):
        parts = [data for data in (*(encoder.feed(p) for p in pieces), encoder.finish()) if data]
        return parts[0] if len(parts) == 1 else b"".join(parts)  # a whole WAV is one part
    whole = np.concatenate(pieces, dtype=np.float32) if pieces else np.zeros(0, np.float32)
    return encoder.feed(whole) + encoder.finish()
