"""The streaming encoder interface and the bookkeeping every encoder shares."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Protocol, runtime_checkable

import numpy as np
import numpy.typing as npt

from voxserve.audio.samples import clipped
from voxserve.types import PCM


@runtime_checkable
class StreamEncoder(Protocol):
    """Turns mono float32 PCM, fed in pieces, into one continuous encoded stream.

    Each :meth:`feed` returns the bytes ready so far (possibly none); :meth:`finish` flushes
    the codec and the container and returns the rest. The concatenation of every returned
    piece is one valid file. Calls are synchronous and CPU-bound: run them off the event loop.
    """

    @property
    def sample_rate(self) -> int:
        """The rate the audio is encoded at (Opus decoders always play back at 48 kHz)."""
        ...

    def feed(self, pcm: PCM) -> bytes:
        """Encode the next piece of audio (at the rate the encoder was opened with)."""
        ...

    def finish(self) -> bytes:
        """End the stream; the encoder cannot be fed afterwards."""
        ...

    def close(self) -> None:
        """Abandon the stream (say, a cancelled request) and free the codec; safe after finish."""
        ...


class BaseEncoder(ABC):
    """Checks input and state once, so that subclasses only encode."""

    needs_audio = False
    """Whether the format cannot represent an empty stream (no frames means no valid file)."""

    def __init__(self, sample_rate: int) -> None:
        if sample_rate <= 0:
            raise ValueError(f"sample_rate must be positive, got {sample_rate}")
        self._rate = sample_rate
        self._finished = False
        self._fed = 0

    @property
    def sample_rate(self) -> int:
        """The rate the audio is encoded at."""
        return self._rate

    def feed(self, pcm: npt.ArrayLike) -> bytes:
        """Encode the next piece of audio; returns the bytes ready so far (may be empty)."""
        self._check_open()
        samples = clipped(pcm)
        if samples.size == 0:
            return b""
        self._fed += samples.size
        return self._encode(samples)

    def finish(self) -> bytes:
        """Flush and close the stream; returns its last bytes.

        A codec stream that was never fed gets one silent sample, so that the result is
        still a file every decoder opens.
        """
        self._check_open()
        head = b""
        if self._fed == 0 and self.needs_audio:
            head = self._encode(np.zeros(1, dtype=np.float32))
        self._finished = True
        return head + self._flush()

    def close(self) -> None:
        """Stop accepting audio and release codec resources; idempotent."""
        self._finished = True

    def _check_open(self) -> None:
        if self._finished:
            raise RuntimeError("the encoder has already finished its stream")

    @abstractmethod
    def _encode(self, pcm: PCM) -> bytes:
        """Encode clipped, non-empty samples."""

    @abstractmethod
    def _flush(self) -> bytes:
        """Return whatever the stream still holds, and its trailer."""
