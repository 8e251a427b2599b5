"""The values of SSML attributes: rates, pitches, volumes, break times, say-as readings and Azure's
speaking styles, turned into voxserve's units (a rate multiplier, semitones, dB, seconds, an
emotion). A value that cannot be read is an InvalidMarkupError naming the element and attribute."""

from __future__ import annotations

import math
import re

from voxserve.errors import InvalidMarkupError
from voxserve.text import en_numbers, zh_numbers
from voxserve.text.readings.rules import SURNAMES

MAX_BREAK_S = 10.0

_RATES = {"x-slow": 0.5, "slow": 0.75, "medium": 1.0, "default": 1.0, "fast": 1.3, "x-fast": 1.7}
_PITCHES = {"x-low": -6.0, "low": -3.0, "medium": 0.0, "default": 0.0, "high": 3.0, "x-high": 6.0}
_VOLUMES = {
    "silent": -30.0,
    "x-soft": -12.0,
    "soft": -6.0,
    "medium": 0.0,
    "default": 0.0,
    "loud": 4.0,
    "x-loud": 8.0,
}
BREAK_STRENGTHS = {
    "none": 0.0,
    "x-weak": 0.1,
    "weak": 0.2,
    "medium": 0.4,
    "strong": 0.7,
    "x-strong": 1.2,
}
EMPHASIS = {  # level -> (rate, semitones, dB)
    "strong": (0.88, 2.0, 3.0),
    "moderate": (0.94, 1.0, 1.5),
    "none": (1.0, 0.0, 0.0),
    "reduced": (1.06, -1.0, -3.0),
}
STYLES = {
    "happy": ("cheerful", "excited", "friendly", "hopeful", "joyful", "affectionate", "gentle"),
    "sad": ("sad", "depressed", "disappointed", "lyrical", "embarrassed"),
    "angry": ("angry", "unfriendly", "shouting", "serious-angry"),
    "fear": ("fearful", "terrified", "scared", "nervous"),
    "surprise": ("surprised", "amazed"),
    "disgust": ("disgruntled", "disgusted", "envious"),
    "neutral": (
        "general",
        "calm",
        "serious",
        "newscast",
        "customerservice",
        "narration-relaxed",
        "chat",
        "assistant",
        "documentary-narration",
        "poetry-reading",
        "whispering",
    ),
}
_EMOTION_OF = {style: emotion for emotion, styles in STYLES.items() for style in styles}
_NUMBER = r"([+-]?\d+(?:\.\d+)?)"


def _bad(element: str, attribute: str, value: str, expected: str) -> InvalidMarkupError:
    return InvalidMarkupError(
        f"<{element} {attribute}={value!r}>: expected {expected}", param="text"
    )


def rate(value: str) -> float:
    """A rate multiplier: x-slow..x-fast, 80%, +20%, -10%, or a number (1.2)."""
    value = value.strip().lower()
    if value in _RATES:
        return _RATES[value]
    if m := re.fullmatch(_NUMBER + "%", value):
        number = float(m.group(1))
        return 1.0 + number / 100 if value[0] in "+-" else number / 100
    if m := re.fullmatch(_NUMBER, value):
        return float(m.group(1))
    raise _bad("prosody", "rate", value, "x-slow..x-fast, a percentage or a number")


def pitch(value: str) -> float:
    """Semitones: x-low..x-high, +2st, -10%, +50Hz (against a 200 Hz voice)."""
    value = value.strip().lower()
    if value in _PITCHES:
        return _PITCHES[value]
    if m := re.fullmatch(_NUMBER + "st", value):
        return float(m.group(1))
    if m := re.fullmatch(_NUMBER + "%", value):
        return 12 * math.log2(max(0.05, 1 + float(m.group(1)) / 100))
    if m := re.fullmatch(_NUMBER + "hz", value):
        return 12 * math.log2(max(0.05, 1 + float(m.group(1)) / 200))
    raise _bad("prosody", "pitch", value, "x-low..x-high, +Nst, +N% or +NHz")


def volume(value: str) -> float:
    """dB: silent..x-loud, +6dB, +10% (of amplitude)."""
    value = value.strip().lower()
    if value in _VOLUMES:
        return _VOLUMES[value]
    if m := re.fullmatch(_NUMBER + "db", value):
        return float(m.group(1))
    if m := re.fullmatch(_NUMBER + "%", value):
        return 20 * math.log10(max(0.03, 1 + float(m.group(1)) / 100))
    raise _bad("prosody", "volume", value, "silent..x-loud, +NdB or +N%")


def break_seconds(time: str | None, strength: str | None) -> float:
    """A break's length: ``time`` (500ms, 1.5s) over ``strength`` (none..x-strong, medium)."""
    if time is not None:
        m = re.fullmatch(_NUMBER + r"\s*(ms|s)", time.strip().lower())
        if m is None or float(m.group(1)) < 0:
            raise _bad("break", "time", time, "a duration such as 500ms or 1.5s")
        seconds = float(m.group(1)) / (1000 if m.group(2) == "ms" else 1)
        return min(seconds, MAX_BREAK_S)
    level = (strength or "medium").strip().lower()
    if level not in BREAK_STRENGTHS:
        raise _bad("break", "strength", level, "none, x-weak, weak, medium, strong or x-strong")
    return BREAK_STRENGTHS[level]


def emphasis(level: str | None) -> tuple[float, float, float]:
    key = (level or "moderate").strip().lower()
    if key not in EMPHASIS:
        raise _bad("emphasis", "level", key, "strong, moderate, none or reduced")
    return EMPHASIS[key]


def express_as(style: str | None, degree: str | None) -> tuple[str, float]:
    """Azure's ``mstts:express-as``: its style as a voxserve emotion, its degree as intensity."""
    emotion = _EMOTION_OF.get((style or "").strip().lower())
    if emotion is None:
        raise _bad("express-as", "style", style or "", f"one of {', '.join(sorted(_EMOTION_OF))}")
    intensity = 1.0
    if degree is not None:
        try:
            intensity = float(degree)
        except ValueError:
            raise _bad("express-as", "styledegree", degree, "a number 0.01-2") from None
        if not 0.01 <= intensity <= 2:
            raise _bad("express-as", "styledegree", degree, "a number 0.01-2")
    return emotion, intensity


def say_as(kind: str | None, text: str, zh: bool) -> str:
    """``text`` as ``<say-as interpret-as=kind>`` reads it (written out, then normalized)."""
    kind = (kind or "").strip().lower()
    digits_only = re.sub(r"[\s\-]", "", text)
    if kind in ("cardinal", "number") and re.fullmatch(r"-?\d+(\.\d+)?", digits_only):
        return zh_numbers.number(digits_only) if zh else en_numbers.decimal(digits_only)
    if kind in ("digits", "telephone") and digits_only.isdigit():
        if zh:
            return zh_numbers.digits(digits_only, yao=kind == "telephone")
        return en_numbers.digits(digits_only)
    if kind in ("characters", "spell-out", "verbatim"):
        spelled = [
            zh_numbers.digits(c) if zh and c.isdigit() else c for c in text if not c.isspace()
        ]
        return " ".join(spelled)
    if kind == "name" and text[:1] in SURNAMES:
        return f"[{text[0]}]({SURNAMES[text[0]]}){text[1:]}"
    return text  # date, time, and anything else: the normalizer reads them as written
