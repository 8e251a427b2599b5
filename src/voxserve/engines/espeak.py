"""The espeak-ng engine: libespeak-ng 1.52 in-process (formant synthesis, ~0.001 RTF, any language).

Voices: the curated ``espeak-en`` (US English), ``espeak-en-gb`` and ``espeak-zh`` (Mandarin),
plus any installed espeak voice as ``espeak:<name>``, where ``<name>`` is a voice file
(``de``, ``en-us``, ``gmw/en-US``), a language code espeak lists (``en-gb``, ``zh``) or a display
name (``German``), optionally with a variant (``espeak:de+f3``): see
:meth:`EspeakEngine.resolve_voice`.

libespeak-ng is process-global state and not thread-safe: use one engine instance per process
(every instance shares the process's library, and calls are serialized by a lock).

All four prosody controls are native:

* rate: espeak's words-per-minute setting, 175 x ``rate`` clamped to 80..450 (durations follow
  1/rate within a few percent).
* pitch: espeak scales its F0 *base* by the PITCH setting but keeps the F0 excursion fixed in Hz,
  so RANGE is scaled by the same factor as the base to keep the contour's shape in semitones.
  With that, the mean F0 shift (librosa.pyin, en-us, cmn and de voices) is the table
  ``_PITCH_TABLE``: about 0.2 semitone per PITCH step, -9 to +10 semitones over 0..100. Shifts
  beyond that are completed by resampling (synthesized slower or faster, then resampled back to
  the same duration), which moves formants with the pitch.
* pitch range: RANGE = 50 x ``pitch_range`` (x the base factor above), clamped to 0..100.
* volume: a gain on the samples (exact, unlike espeak's coarse VOLUME), clipped to [-1, 1].
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from voxserve import timing
from voxserve.engines._espeak_lib import (
    EspeakLibrary,
    Parameter,
    VoiceInfo,
    WordEvent,
    bundled_paths,
    espeak_library,
)
from voxserve.engines._silence import trim_bounds, trim_silence
from voxserve.engines.base import Engine
from voxserve.errors import EngineError, UnknownVoiceError
from voxserve.settings import Settings
from voxserve.timing import Timed
from voxserve.types import PCM, Prosody, ProsodyControl, Voice

ENGINE = "espeak"
ARBITRARY_PREFIX = "espeak:"

_BASE_WPM = 175
_MIN_WPM, _MAX_WPM = 80, 450
_NEUTRAL = 50

# espeak's PITCH setting -> mean F0 shift in semitones (RANGE scaled as described above),
# averaged over the en-us, cmn and de voices; the three agree within 0.5 semitone.
_PITCH_SETTINGS = np.array([0, 10, 20, 30, 40, 50, 60, 70, 80, 90, 100], dtype=np.float64)
_PITCH_TABLE = np.array(
    [-8.95, -6.99, -5.56, -3.81, -1.99, 0.0, 1.96, 4.02, 6.06, 8.16, 10.05], dtype=np.float64
)


@dataclass(frozen=True)
class _Curated:
    id: str
    engine_voice: str
    language: str
    name: str


_CURATED = (
    _Curated("espeak-en", "gmw/en-US", "en", "eSpeak English (US)"),
    _Curated("espeak-en-gb", "gmw/en", "en", "eSpeak English (GB)"),
    _Curated("espeak-zh", "sit/cmn", "zh", "eSpeak Mandarin"),
)


@dataclass(frozen=True)
class EspeakSettings:
    """What espeak is asked for, and the pitch factor left for resampling."""

    rate_wpm: int
    pitch: int
    pitch_range: int
    gain: float
    resample_factor: float
    """F0 factor still to apply by resampling (1 when espeak's PITCH reaches the target)."""


def _base_factor(pitch: float) -> float:
    # espeak's own table is 128 * 2**((pitch - 50) / 50); this is its smooth form.
    return float(2.0 ** ((pitch - _NEUTRAL) / 50.0))


def map_prosody(prosody: Prosody) -> EspeakSettings:
    """Translate a prosody plan into espeak settings (see the module docstring)."""
    low, high = float(_PITCH_TABLE[0]), float(_PITCH_TABLE[-1])
    native = min(max(prosody.pitch, low), high)
    pitch = round(float(np.interp(native, _PITCH_TABLE, _PITCH_SETTINGS)))
    resample = 2.0 ** ((prosody.pitch - native) / 12.0)
    wpm = round(_BASE_WPM * prosody.rate / resample)
    pitch_range = round(_NEUTRAL * prosody.pitch_range * _base_factor(pitch))
    return EspeakSettings(
        rate_wpm=min(max(wpm, _MIN_WPM), _MAX_WPM),
        pitch=pitch,
        pitch_range=min(max(pitch_range, 0), 100),
        gain=10.0 ** (prosody.gain_db / 20.0),
        resample_factor=resample,
    )


def _language(info: VoiceInfo) -> str:
    code = (info.languages[0] if info.languages else info.basename).lower()
    primary = code.split("-", 1)[0]
    return "zh" if primary == "cmn" else primary


class EspeakEngine:
    """espeak-ng speaking through the process's libespeak-ng. One instance per process."""

    name = ENGINE
    native_controls = frozenset(ProsodyControl)

    def __init__(self, library: EspeakLibrary) -> None:
        self._lib = library
        self._voices = library.list_voices()
        self._variants = {v.basename.lower(): v for v in library.list_voices(variants=True)}
        self._by_key = self._index(self._voices)
        self._curated = {c.id: self._curated_voice(c) for c in _CURATED}

    @staticmethod
    def _index(voices: Sequence[VoiceInfo]) -> dict[str, VoiceInfo]:
        keys: dict[str, VoiceInfo] = {}
        # Weakest first, so that a voice file's own name wins over another voice's language code.
        for voice in voices:
            for code in voice.languages:
                keys.setdefault(code.lower(), voice)
        for voice in voices:
            keys[voice.name.lower()] = voice
        for voice in voices:
            keys[voice.basename.lower()] = voice
            keys[voice.identifier.lower()] = voice
        return keys

    @property
    def sample_rate(self) -> int:
        """Output sample rate (22050 Hz)."""
        return self._lib.sample_rate

    def _curated_voice(self, curated: _Curated) -> Voice:
        info = self._by_key[curated.engine_voice.lower()]
        return Voice(
            id=curated.id,
            engine=ENGINE,
            language=curated.language,
            name=curated.name,
            sample_rate=self.sample_rate,
            gender=info.gender,
            description=f"espeak-ng {self._lib.version} voice {info.name!r} (formant synthesis)",
            engine_voice=info.identifier,
            model_id=f"espeak-ng-{self._lib.version}",
            timestamps="measured",
        )

    def voices(self) -> Sequence[Voice]:
        """The curated voices; any other espeak voice is reachable through :meth:`resolve_voice`."""
        return list(self._curated.values())

    def voice_names(self) -> list[str]:
        """Every installed espeak voice file name (usable as ``espeak:<name>``)."""
        return sorted(v.basename.lower() for v in self._voices)

    def extra_voice_ids(self) -> list[str]:
        """Every ``espeak:<name>`` id this engine resolves beyond its listed voices."""
        return [ARBITRARY_PREFIX + name for name in self.voice_names()]

    def resolve_voice(self, voice_id: str) -> Voice:
        """The voice for a curated id or an ``espeak:<name>[+variant]`` id.

        Raises :class:`~voxserve.errors.UnknownVoiceError` for anything else.
        """
        if voice_id in self._curated:
            return self._curated[voice_id]
        if voice_id.startswith(ARBITRARY_PREFIX):
            found = self._arbitrary(voice_id, voice_id[len(ARBITRARY_PREFIX) :])
            if found is not None:
                return found
        raise UnknownVoiceError(voice_id, self._suggestions(voice_id))

    def _arbitrary(self, voice_id: str, spec: str) -> Voice | None:
        base, _, variant_name = spec.strip().partition("+")
        info = self._by_key.get(base.strip().lower())
        variant = self._variants.get(variant_name.strip().lower()) if variant_name else None
        if info is None or (variant_name and variant is None):
            return None
        engine_voice = info.identifier + (f"+{variant.basename}" if variant else "")
        name = info.name + (f" ({variant.name})" if variant else "")
        return Voice(
            id=voice_id,
            engine=ENGINE,
            language=_language(info),
            name=f"eSpeak {name}",
            sample_rate=self.sample_rate,
            gender=variant.gender if variant else info.gender,
            description=f"espeak-ng {self._lib.version} voice {info.identifier}",
            engine_voice=engine_voice,
            model_id=f"espeak-ng-{self._lib.version}",
            timestamps="measured",
        )

    def _suggestions(self, voice_id: str) -> list[str]:
        wanted = voice_id.removeprefix(ARBITRARY_PREFIX).partition("+")[0].lower()
        close = difflib.get_close_matches(wanted, self.voice_names(), n=5, cutoff=0.5)
        examples = close or ["de", "en-us", "fr", "ja", "cmn"]
        return [*self._curated, *(ARBITRARY_PREFIX + name for name in examples)]

    def synthesize(self, text: str, voice: Voice, prosody: Prosody) -> PCM:
        """Speak ``text`` in ``voice`` at 22050 Hz, edges trimmed to a short silence."""
        return self.synthesize_timed(text, voice, prosody).pcm

    def synthesize_timed(self, text: str, voice: Voice, prosody: Prosody) -> Timed:
        """:meth:`synthesize`, with when each item was spoken (from espeak-ng's word events)."""
        if voice.engine != ENGINE:
            raise EngineError(f"voice {voice.id!r} belongs to engine {voice.engine!r}, not espeak")
        settings = map_prosody(prosody)
        engine_voice = voice.engine_voice or self.resolve_voice(voice.id).engine_voice
        samples, words = self._lib.synthesize_words(
            text,
            engine_voice,
            {
                Parameter.RATE: settings.rate_wpm,
                Parameter.PITCH: settings.pitch,
                Parameter.RANGE: settings.pitch_range,
                Parameter.VOLUME: 100,
            },
        )
        pcm = samples.astype(np.float32) * np.float32(settings.gain / 32768.0)
        starts = [
            timing.WordStart(w.text_start, w.text_start + max(1, w.length), self._sample(w))
            for w in words
        ]
        marks = timing.from_word_starts(text, starts, pcm)
        if not math.isclose(settings.resample_factor, 1.0):
            before = len(pcm)
            pcm = _shift_by_resampling(pcm, settings.resample_factor)
            marks = timing.rescale(marks, len(pcm) / max(1, before), len(pcm))
        np.clip(pcm, -1.0, 1.0, out=pcm)
        start, _ = trim_bounds(pcm, self.sample_rate)
        pcm = trim_silence(pcm, self.sample_rate)
        return Timed(pcm, timing.shift(marks, -start, len(pcm)))

    def _sample(self, word: WordEvent) -> int:
        return round(word.audio_ms * self.sample_rate / 1000)


def _shift_by_resampling(pcm: PCM, factor: float) -> PCM:
    # Only extreme pitch shifts get here: scipy.signal is imported late to keep it out of RSS.
    from scipy.signal import resample_poly

    # Played back at the same rate, 1/factor as many samples sound factor times higher (or lower).
    ratio = Fraction(1.0 / factor).limit_denominator(64)
    out = resample_poly(pcm, ratio.numerator, ratio.denominator)
    return np.asarray(out, dtype=np.float32)


class EspeakSpec:
    """Registry entry for the espeak engine."""

    name = ENGINE
    languages: Sequence[str] = ("en", "zh")

    def available(self, settings: Settings) -> bool:
        """Whether the espeakng-loader package (library and data) is installed."""
        return bundled_paths() is not None

    def load(self, settings: Settings) -> Engine:
        """Initialize the process's libespeak-ng (once) and return the engine on it."""
        return EspeakEngine(espeak_library())


SPEC = EspeakSpec()
