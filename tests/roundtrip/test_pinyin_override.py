"""A reading given in the text is what the Mandarin voice speaks, and only that changes."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.asr import Transcriber, normalize_zh, score
from voxserve.engines.baker_zh import BakerZhEngine
from voxserve.pipeline import Synthesizer
from voxserve.text import prepare
from voxserve.types import SynthesisRequest

pytestmark = pytest.mark.roundtrip

SENTENCE = "这家银行的行长明天上午来我们公司开会。"
GIVEN = "这家银行的[行长](xing2 chang2)明天上午来我们公司开会。"
DEFAULT_GIVEN = "这家银行的[行长](hang2 zhang3)明天上午来我们公司开会。"


def _speak(synthesizer: Synthesizer, text: str) -> np.ndarray:  # type: ignore[type-arg]
    return synthesizer.synthesize(SynthesisRequest(text=text, voice="zh-baker")).pcm


def test_the_engine_reads_the_given_syllables(synthesizer: Synthesizer) -> None:
    engine = synthesizer.engines["baker-zh"]
    assert isinstance(engine, BakerZhEngine)
    run = prepare(GIVEN)[0].runs[0].text
    phones = engine.frontend.phones(run)
    default = engine.frontend.phones(SENTENCE)
    changed = [(a, b) for a, b in zip(default, phones, strict=True) if a != b]
    assert changed == [("h", "x"), ("ang2", "ing2"), ("zh", "ch"), ("ang3", "ang2")]


def test_given_reading_is_spoken_and_the_rest_as_before(
    synthesizer: Synthesizer, transcriber: Transcriber
) -> None:
    plain, given = _speak(synthesizer, SENTENCE), _speak(synthesizer, GIVEN)
    # Giving the reading the voice already uses changes nothing; another reading changes audio.
    assert np.array_equal(_speak(synthesizer, DEFAULT_GIVEN), plain)
    assert plain.shape != given.shape or not np.allclose(plain, given)
    heard_plain = transcriber.transcribe(plain, 24000, "zh")
    heard_given = transcriber.transcribe(given, 24000, "zh")
    # Two characters are read differently on purpose; the others are heard as well as before.
    allowance = 2 / len(normalize_zh(SENTENCE))
    assert score(SENTENCE, heard_given, "zh") <= score(SENTENCE, heard_plain, "zh") + allowance
    assert score(SENTENCE, heard_plain, "zh") <= 0.1
