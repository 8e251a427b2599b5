"""Helpers shared by the audio tests: test signals and a PyAV decoder."""

from __future__ import annotations

import io
from dataclasses import dataclass

import av
import numpy as np

from voxserve.types import PCM


@dataclass(frozen=True)
class Decoded:
    samples: np.ndarray
    rate: int
    channels: int

    @property
    def seconds(self) -> float:
        return self.samples.size / self.rate


def decode_bytes(data: bytes) -> Decoded:
    """Decode a whole file with PyAV; float samples of the first channel."""
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        chunks = []
        for frame in container.decode(stream):
            array = frame.to_ndarray()
            if array.dtype == np.int16:
                array = array / 32768.0
            # Packed formats come as (1, samples * channels), planar ones as (channels, samples).
            chunks.append(
                np.asarray(array, dtype=np.float64).reshape(-1)[:: frame.layout.nb_channels]
            )
        channels = stream.codec_context.layout.nb_channels
        rate = stream.codec_context.sample_rate
    samples = np.concatenate(chunks) if chunks else np.zeros(0)
    return Decoded(samples, rate, channels)


def speech_like(rate: int, seconds: float = 1.7, seed: int = 0) -> PCM:
    """A 440 Hz tone plus a voiced, gliding harmonic series, a noise burst and a pause.

    It ends on a loud segment, so a lost tail shows up as missing energy.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(round(rate * seconds)) / rate
    f0 = 140 + 40 * np.sin(2 * np.pi * 1.3 * t)
    phase = 2 * np.pi * np.cumsum(f0) / rate
    voiced = sum(np.sin(k * phase) / k for k in range(1, 12))
    envelope = 0.5 + 0.5 * np.sin(2 * np.pi * 2.1 * t) ** 2
    x = 0.2 * np.sin(2 * np.pi * 440 * t) + 0.25 * voiced * envelope
    burst = slice(round(0.6 * rate), round(0.75 * rate))
    x[burst] += 0.15 * rng.standard_normal(x[burst].size)
    x[round(0.9 * rate) : round(1.05 * rate)] = 0.0
    return np.clip(x, -0.95, 0.95).astype(np.float32)


def uneven_chunks(pcm: PCM, pieces: int = 7) -> list[PCM]:
    """``pieces`` chunks of very different sizes (one tiny, one empty-ish, some large)."""
    rng = np.random.default_rng(pieces)
    cuts = np.sort(rng.choice(np.arange(1, pcm.size), size=pieces - 1, replace=False))
    cuts[0] = min(cuts[0], 37)  # a chunk shorter than any codec frame
    return np.split(pcm, cuts)
