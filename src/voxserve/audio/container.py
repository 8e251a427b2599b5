"""MP3, AAC (ADTS) and FLAC through PyAV's codecs and muxers."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import cast

import av
from av.audio.stream import AudioStream
from av.container import OutputContainer

from voxserve.audio.base import BaseEncoder
from voxserve.audio.frames import float_frame, int16_frame
from voxserve.audio.samples import to_int16
from voxserve.types import PCM


@dataclass(frozen=True)
class CodecSpec:
    """How one format is made: codec, muxer, the sample format fed in, the rates it takes."""

    codec: str
    muxer: str
    sample_format: str
    rates: tuple[int, ...] | None
    """Rates the codec accepts; ``None`` for any."""
    priming: int
    """Leading samples a decoder outputs before the audio when the stream cannot say so
    (streamed MP3 has no gapless tag; ADTS never has one). Whole-file MP3 and FLAC carry 0."""

    def bit_rate(self, sample_rate: int) -> int | None:
        """Target bit rate for mono speech at ``sample_rate``; ``None`` for lossless."""
        if self.codec == "flac":
            return None
        if sample_rate <= 12000:
            return 32000
        return 64000 if sample_rate <= 24000 else 96000


MP3 = CodecSpec(
    "libmp3lame",
    "mp3",
    "fltp",
    (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000),
    priming=1105,  # LAME's 576-sample encoder delay plus the 529-sample decoder delay
)
AAC = CodecSpec(
    "aac",
    "adts",
    "fltp",
    (7350, 8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000, 64000, 88200, 96000),
    priming=1024,  # one frame of MDCT look-ahead
)
FLAC = CodecSpec("flac", "flac", "s16", None, priming=0)


class _StreamSink:
    """A write-only byte collector. Having no ``seek`` makes the muxers write for a stream:
    nothing is patched afterwards, so bytes can leave as soon as they are written."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def drain(self) -> bytes:
        out = b"".join(self._parts)
        self._parts.clear()
        return out


class ContainerEncoder(BaseEncoder):
    """Encodes with a PyAV codec into a PyAV muxer.

    Streamed (``whole_file=False``), each ``feed`` returns every complete packet so far. As a
    whole file, the output is seekable so that the muxer can finish its header at the end (the
    MP3 Xing/LAME gapless tag, FLAC's total length and MD5), and all bytes come from ``finish``.
    """

    needs_audio = True

    def __init__(self, spec: CodecSpec, sample_rate: int, *, whole_file: bool = False) -> None:
        if spec.rates is not None and sample_rate not in spec.rates:
            raise ValueError(f"{spec.codec} needs one of {spec.rates} Hz, got {sample_rate}")
        super().__init__(sample_rate)
        self._spec = spec
        self._file: io.BytesIO | None = io.BytesIO() if whole_file else None
        self._sink = _StreamSink()
        target = self._file if self._file is not None else self._sink
        # FLAC reserves 8 KiB of header padding for later tag edits by default: waste here.
        options = {"metadata_header_padding": "0"}
        self._container: OutputContainer = av.open(
            target, mode="w", format=spec.muxer, container_options=options
        )
        self._stream = self._add_stream()
        self._pts = 0

    def _add_stream(self) -> AudioStream:
        stream = cast(
            AudioStream, self._container.add_stream(self._spec.codec, rate=self.sample_rate)
        )
        stream.layout = "mono"
        stream.format = self._spec.sample_format
        bit_rate = self._spec.bit_rate(self.sample_rate)
        if bit_rate is not None:
            stream.bit_rate = bit_rate
        return stream

    def _frame(self, pcm: PCM) -> av.AudioFrame:
        if self._spec.sample_format == "s16":
            return int16_frame(to_int16(pcm), self.sample_rate, self._pts)
        return float_frame(pcm, self.sample_rate, self._pts)

    def _encode(self, pcm: PCM) -> bytes:
        frame = self._frame(pcm)
        self._pts += pcm.size
        self._mux(self._stream.encode(frame))
        return self._sink.drain()

    def _flush(self) -> bytes:
        self._mux(self._stream.encode(None))
        self._container.close()
        if self._file is not None:
            return self._file.getvalue()
        return self._sink.drain()

    def _mux(self, packets: list[av.Packet[AudioStream]]) -> None:
        if self._file is None:
            # A packet that holds no samples is end padding (LAME flushes one) or FLAC's final
            # header update, which only a seekable file can use; a stream is better without.
            packets = [p for p in packets if p.duration]
        self._container.mux(packets)

    def close(self) -> None:
        """Abandon the stream and close the muxer (a no-op after :meth:`finish`)."""
        if not self._finished:
            super().close()
            self._container.close()
