"""Emotion presets: each emotion is a prosody change, scaled by intensity.

The directions follow the classic rules for synthetic emotional speech (Murray & Arnott 1993,
"Toward the simulation of emotion in synthetic speech"), with sizes chosen so that each change is
audible and measurable on every engine at intensity 1:

=========  =====  ==========  ===========  =======  =======  ==============================
emotion    rate   pitch (st)  pitch range  gain dB  pauses   Murray & Arnott
=========  =====  ==========  ===========  =======  =======  ==============================
neutral    1.00     0.0       1.00          0.0     1.00
happy      1.08    +3.0       1.35         +2.5     0.90     faster, higher, wider, louder
sad        0.80    -2.5       0.60         -4.0     1.40     slower, lower, narrower, softer
angry      1.08    +2.0       1.50         +3.0     0.80     faster, higher, much wider, louder
fear       1.12    +4.0       1.25         -2.0     0.80     much faster, much higher, wider
surprise   1.10    +4.5       1.60         +2.0     1.00     faster, higher, much wider
disgust    0.90    -4.0       1.40         -2.5     1.20     much slower, much lower
=========  =====  ==========  ===========  =======  =======  ==============================

Surprise is not in Murray & Arnott's table: here it is a quick, high, wide delivery, its pitch
and range changes the largest of all. Fear's loudness is "normal" in Murray & Arnott; a slight
drop (held breath) keeps it distinct from anger. Disgust's range is "slightly wider" there and its
loudness "quieter"; the range is set wider here (x1.4) so that it is measurable on every engine
(espeak's lower pitch narrows its own range).

``intensity`` (0..2) interpolates from neutral: multiplicative controls move in log space, so
intensity 2 of rate 1.08 is 1.08², and intensity 0 is neutral.

The rates are gentler than they were (1.12, 1.15, 1.25, 1.15, 0.82 for happy, angry, fear,
surprise, disgust): on the Mandarin voice, over 20 sentences, those rates put the round trip's
(Whisper base) character error rate 0.03-0.06 above neutral's, gentler ones 0.01-0.04
(docs/emotions.md). On Piper, whose durations vary from one rendition to the next, a rate under
1.08 is not reliably audible. The pitch and range changes carry the emotion.

Anger is +3 dB (it was +5): at +5 dB the Mandarin voice's angry sentences peaked at 0.93 of full
scale, leaving no headroom for a louder sentence or a request's own ``volume``, and DNSMOS scored
them 0.107 under neutral speech for the loudness alone (docs/emotions.md). At +3 dB anger is still
the loudest emotion.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from types import MappingProxyType

from voxserve.errors import UnknownEmotionError
from voxserve.types import INTENSITY_RANGE, Prosody


@dataclass(frozen=True)
class EmotionPreset:
    """An emotion's prosody at intensity 1, with a description for the API and the docs."""

    name: str
    label_zh: str
    prosody: Prosody
    description: str


def _preset(name: str, label_zh: str, description: str, *values: float) -> EmotionPreset:
    rate, pitch, pitch_range, gain_db, pause_scale = values
    return EmotionPreset(
        name, label_zh, Prosody(rate, pitch, pitch_range, gain_db, pause_scale), description
    )


EMOTIONS = MappingProxyType(
    {
        p.name: p
        for p in (
            _preset("neutral", "中性", "plain reading voice", 1.0, 0.0, 1.0, 0.0, 1.0),
            _preset(
                "happy", "开心", "faster, higher, wider pitch, louder", 1.08, 3.0, 1.35, 2.5, 0.9
            ),
            _preset(
                "sad",
                "悲伤",
                "slower, lower, flat pitch, softer, longer pauses",
                0.80,
                -2.5,
                0.6,
                -4.0,
                1.4,
            ),
            _preset(
                "angry",
                "生气",
                "faster, higher, much wider pitch, louder",
                1.08,
                2.0,
                1.5,
                3.0,
                0.8,
            ),
            _preset(
                "fear", "害怕", "much faster, much higher, wider pitch", 1.12, 4.0, 1.25, -2.0, 0.8
            ),
            _preset(
                "surprise", "惊讶", "faster, higher, much wider pitch", 1.10, 4.5, 1.6, 2.0, 1.0
            ),
            _preset(
                "disgust", "厌恶", "much slower, much lower, quieter", 0.90, -4.0, 1.4, -2.5, 1.2
            ),
        )
    }
)
"""Every supported emotion by name (read-only)."""


def _scale_log(value: float, intensity: float) -> float:
    return math.exp(math.log(value) * intensity)


def emotion_prosody(emotion: str, intensity: float = 1.0) -> Prosody:
    """The prosody for ``emotion`` at ``intensity`` (0 = neutral, 1 = preset, 2 = doubled)."""
    try:
        preset = EMOTIONS[emotion]
    except KeyError:
        raise UnknownEmotionError(emotion, EMOTIONS) from None
    INTENSITY_RANGE.check("intensity", intensity)
    p = preset.prosody
    return Prosody(
        rate=_scale_log(p.rate, intensity),
        pitch=p.pitch * intensity,
        pitch_range=_scale_log(p.pitch_range, intensity),
        gain_db=p.gain_db * intensity,
        pause_scale=_scale_log(p.pause_scale, intensity),
    )


def combine(emotion: Prosody, *, speed: float, pitch: float, volume: float) -> Prosody:
    """Add the request's own speed (multiplier), pitch (semitones) and volume (dB) to an emotion."""
    return Prosody(
        rate=emotion.rate * speed,
        pitch=emotion.pitch + pitch,
        pitch_range=emotion.pitch_range,
        gain_db=emotion.gain_db + volume,
        pause_scale=emotion.pause_scale / speed,
    )


@dataclass(frozen=True)
class Rendered:
    """What a voice was measured to render for an emotion at intensity 1, against its neutral
    speech: mean F0 shift, F0 spread (interquartile range) and duration."""

    pitch_semitones: float
    pitch_range: float
    duration: float


RENDERED = MappingProxyType(
    {
        # bench/emotions.py on the 12-sentence corpus (docs/emotions.md): the model renders
        # pitch and range itself, within what the voice does cleanly.
        "zh-baker": MappingProxyType(
            {
                "happy": Rendered(1.8, 1.38, 0.92),
                "sad": Rendered(-2.1, 0.60, 1.27),
                "angry": Rendered(1.0, 1.48, 0.92),
                "fear": Rendered(2.1, 1.30, 0.89),
                "surprise": Rendered(2.6, 1.39, 0.91),
                "disgust": Rendered(-2.7, 1.22, 1.12),
            }
        ),
    }
)
"""Measured renderings by voice id and emotion (voices whose rendering departs from the preset)."""
