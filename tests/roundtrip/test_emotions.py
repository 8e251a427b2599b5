"""Every emotion on every engine moves duration, mean F0, F0 range and loudness the documented
way against neutral, and stays intelligible (round-trip error within 0.10 of neutral)."""

from __future__ import annotations

from functools import cache

import numpy as np
import pytest

from tests.support.acoustics import Acoustics, measure_renditions
from tests.support.asr import Transcriber, score
from voxserve.pipeline import Synthesizer
from voxserve.prosody.emotions import EMOTIONS
from voxserve.types import SynthesisRequest

pytestmark = pytest.mark.roundtrip

TEXTS = {
    "zh": (
        "今天天气真好，我们一起去公园散步吧。你觉得怎么样？路上还可以买一杯咖啡，顺便看看湖边的花。"
    ),
    "en": (
        "The weather is lovely today, so let us take a walk in the park. What do you think? "
        "We could buy a cup of coffee on the way and look at the flowers by the lake."
    ),
}
VOICES = {"zh-baker": "zh", "en-joe": "en", "espeak-en": "en"}
EMOTIONAL = [e for e in EMOTIONS if e != "neutral"]


RENDITIONS = {"zh-baker": 1, "en-joe": 5, "espeak-en": 5}
"""Piper samples its durations and noise, and espeak-ng carries state from one text to the next:
the acoustic measures pool a few renditions (baker-zh says the same thing every time)."""
HEARD = 3
"""Renditions transcribed at most; the error is their median."""


@cache
def _spoken(
    synthesizer: Synthesizer, transcriber: Transcriber, voice: str, emotion: str
) -> tuple[Acoustics, float]:
    lang = VOICES[voice]
    request = SynthesisRequest(text=TEXTS[lang], voice=voice, emotion=emotion)
    results = [synthesizer.synthesize(request) for _ in range(RENDITIONS[voice])]
    errors = [
        score(TEXTS[lang], transcriber.transcribe(r.pcm, r.sample_rate, lang), lang)  # type: ignore[arg-type]
        for r in results[:HEARD]
    ]
    acoustics = measure_renditions([(r.pcm, r.sample_rate) for r in results])
    return acoustics, float(np.median(errors))


@pytest.mark.parametrize("voice", list(VOICES))
@pytest.mark.parametrize("emotion", EMOTIONAL)
def test_emotion_moves_prosody_and_stays_intelligible(
    synthesizer: Synthesizer, transcriber: Transcriber, voice: str, emotion: str
) -> None:
    neutral, neutral_error = _spoken(synthesizer, transcriber, voice, "neutral")
    heard, error = _spoken(synthesizer, transcriber, voice, emotion)
    preset = EMOTIONS[emotion].prosody
    duration = heard.duration / neutral.duration
    if preset.rate > 1:
        assert duration < 0.97, f"faster speech should be shorter: x{duration:.2f}"
    else:
        assert duration > 1.03, f"slower speech should be longer: x{duration:.2f}"
    shift = heard.f0_mean - neutral.f0_mean
    assert (shift > 0.5) if preset.pitch > 0 else (shift < -0.5), f"mean F0 {shift:+.2f} st"
    spread = heard.f0_range / neutral.f0_range
    assert (spread > 1.05) if preset.pitch_range > 1 else (spread < 0.95), f"range x{spread:.2f}"
    louder = heard.loudness - neutral.loudness
    assert (louder > 1.0) if preset.gain_db > 0 else (louder < -1.0), f"loudness {louder:+.1f} dB"
    assert error <= neutral_error + 0.10, f"error {error:.2f} vs neutral {neutral_error:.2f}"
