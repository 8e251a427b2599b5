"""Writing a job's audio file unit by unit, without holding the whole file in memory."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from voxserve.audio.encode import open_encoder
from voxserve.audio.wav import wav_header
from voxserve.types import AudioFormat

_WAV_HEADER = 44


class AudioFileWriter:
    """Encodes 16-bit units into ``path`` (through ``path.partial``; renamed on ``finish``).

    Synchronous: call it from a thread. WAV is written as a stream and its header's sizes are
    set at the end, so files of any length never sit in memory.
    """

    def __init__(
        self, path: Path, format: AudioFormat, sample_rate: int, output_rate: int | None
    ) -> None:
        self.path = path
        self.format = format
        self._partial = path.with_name(path.name + ".partial")
        self._encoder = open_encoder(format, sample_rate, output_rate=output_rate)
        self._file = self._partial.open("wb")
        self.samples_in = 0
        self.input_rate = sample_rate

    @property
    def sample_rate(self) -> int:
        return self._encoder.sample_rate

    def feed(self, s16: bytes) -> None:
        pcm = np.frombuffer(s16, dtype="<i2").astype(np.float32) / 32768.0
        self.samples_in += pcm.size
        self._file.write(self._encoder.feed(pcm))

    def finish(self) -> int:
        """Complete the file; returns its size in bytes."""
        self._file.write(self._encoder.finish())
        self._encoder.close()
        if self.format is AudioFormat.WAV:
            size = self._file.tell()
            self._file.seek(0)
            self._file.write(wav_header(self.sample_rate, (size - _WAV_HEADER) // 2))
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        self._partial.replace(self.path)
        return self.path.stat().st_size

    def abort(self) -> None:
        self._encoder.close()
        self._file.close()
        self._partial.unlink(missing_ok=True)

    @property
    def duration(self) -> float:
        return self.samples_in / self.input_rate
