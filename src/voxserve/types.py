"""Frozen value types shared by every layer."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np
import numpy.typing as npt

from voxserve.errors import OutOfRangeError
from voxserve.text.lexicon import Lexicon

PCM = npt.NDArray[np.float32]
"""Mono float32 samples in [-1, 1]."""


class ProsodyControl(StrEnum):
    """A prosody dimension an engine may render natively (otherwise DSP renders it)."""

    RATE = "rate"
    PITCH = "pitch"
    PITCH_RANGE = "pitch_range"
    VOLUME = "volume"


class AudioFormat(StrEnum):
    WAV = "wav"
    MP3 = "mp3"
    OPUS = "opus"
    AAC = "aac"
    FLAC = "flac"
    PCM = "pcm"


@dataclass(frozen=True)
class Prosody:
    """How to speak one unit: the rendering plan that emotions, speed, pitch and volume resolve to.

    ``rate`` > 1 is faster; ``pitch`` is a shift in semitones; ``pitch_range`` scales the F0
    excursion around its mean (1 keeps it); ``gain_db`` is a loudness change; ``pause_scale``
    stretches the silences between clauses and sentences.
    """

    rate: float = 1.0
    pitch: float = 0.0
    pitch_range: float = 1.0
    gain_db: float = 0.0
    pause_scale: float = 1.0

    @property
    def is_neutral(self) -> bool:
        return self == NEUTRAL_PROSODY

    def without(self, controls: frozenset[ProsodyControl]) -> Prosody:
        """This prosody with the given controls reset to neutral (they are rendered elsewhere)."""
        return Prosody(
            rate=1.0 if ProsodyControl.RATE in controls else self.rate,
            pitch=0.0 if ProsodyControl.PITCH in controls else self.pitch,
            pitch_range=1.0 if ProsodyControl.PITCH_RANGE in controls else self.pitch_range,
            gain_db=0.0 if ProsodyControl.VOLUME in controls else self.gain_db,
            pause_scale=self.pause_scale,
        )

    def only(self, controls: frozenset[ProsodyControl]) -> Prosody:
        """This prosody with every control *not* given reset to neutral."""
        return self.without(frozenset(ProsodyControl) - controls)


NEUTRAL_PROSODY = Prosody()


@dataclass(frozen=True)
class Voice:
    """A voice an engine can speak with."""

    id: str
    engine: str
    language: str
    """Primary language code: ``zh`` or ``en`` (others for espeak voices)."""
    name: str
    sample_rate: int
    gender: str = "unknown"
    description: str = ""
    engine_voice: str = ""
    """The engine's own name for this voice (espeak voice name, model file stem...)."""
    model_id: str = ""
    """A checksum (or version) of the model that speaks this voice: rebuilding or replacing the
    model changes it, and with it every cache key of this voice's audio."""
    emotion_rendering: str = "dsp"
    """How emotions (pitch, range, rate) are rendered: ``model`` (the voice's own model renders
    them, at the cost of neutral speech) or ``dsp`` (re-synthesis after the model)."""
    timestamps: str = "estimated"
    """How its timestamps are found: ``measured`` (the engine says when it spoke each item)
    or ``estimated`` (shared out over the voiced audio by the items' lengths)."""


@dataclass(frozen=True)
class Range:
    low: float
    high: float

    def check(self, param: str, value: float) -> float:
        if not math.isfinite(value) or not self.low <= value <= self.high:
            raise OutOfRangeError(param, value, self.low, self.high)
        return value

    def clamp(self, value: float) -> float:
        return min(self.high, max(self.low, value))


INTENSITY_RANGE = Range(0.0, 2.0)
SPEED_RANGE = Range(0.25, 4.0)
PITCH_RANGE = Range(-12.0, 12.0)
"""Pitch offset in semitones."""
VOLUME_RANGE = Range(-30.0, 12.0)
"""Volume offset in dB."""
SAMPLE_RATE_RANGE = Range(8000, 48000)


@dataclass(frozen=True)
class SynthesisRequest:
    """One request to speak a text. Validated on construction."""

    text: str
    voice: str | None = None
    emotion: str = "neutral"
    intensity: float = 1.0
    speed: float = 1.0
    pitch: float = 0.0
    volume: float = 0.0
    format: AudioFormat = AudioFormat.WAV
    sample_rate: int | None = None
    lexicon: Lexicon = field(default_factory=Lexicon)
    """The pronunciations of the lexicons the request named, resolved when it arrived."""
    ssml: bool = False
    """``text`` is an SSML document (``voxserve.text.ssml``)."""

    def __post_init__(self) -> None:
        INTENSITY_RANGE.check("intensity", self.intensity)
        SPEED_RANGE.check("speed", self.speed)
        PITCH_RANGE.check("pitch", self.pitch)
        VOLUME_RANGE.check("volume", self.volume)
        if self.sample_rate is not None:
            SAMPLE_RATE_RANGE.check("sample_rate", self.sample_rate)


@dataclass(frozen=True)
class AudioResult:
    """Synthesized audio for a whole request."""

    pcm: PCM = field(repr=False)
    sample_rate: int
    voice: str
    engine: str

    @property
    def duration(self) -> float:
        return len(self.pcm) / self.sample_rate
