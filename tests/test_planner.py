"""The planner's units for a stream: a long first sentence is cut after its first clause."""

from __future__ import annotations

import pytest

from voxserve.pipeline import Synthesizer
from voxserve.settings import Settings
from voxserve.text.split import PAUSE_CLAUSE
from voxserve.types import SynthesisRequest

TEXT = "前方三百米进入隧道，请打开车灯，保持车距。请注意安全，谢谢。"


@pytest.fixture(scope="module")
def synthesizer() -> Synthesizer:
    return Synthesizer.load(Settings(engines="espeak"))


def _texts(synthesizer: Synthesizer, stream: bool, text: str = TEXT) -> list[str]:
    request = SynthesisRequest(text=text, voice="espeak-zh")
    return [unit.text for unit in synthesizer.plan(request, stream).units]


def test_a_stream_s_long_first_sentence_is_cut_after_its_first_clause(
    synthesizer: Synthesizer,
) -> None:
    assert _texts(synthesizer, False) == [
        "前方三百米进入隧道，请打开车灯，保持车距。",
        "请注意安全，谢谢。",
    ]
    assert _texts(synthesizer, True) == [
        "前方三百米进入隧道，",
        "请打开车灯，保持车距。",
        "请注意安全，谢谢。",
    ]
    request = SynthesisRequest(text=TEXT, voice="espeak-zh")
    assert synthesizer.plan(request, stream=True).units[0].pause_after == PAUSE_CLAUSE


def test_the_cut_can_be_turned_off() -> None:
    synthesizer = Synthesizer.load(Settings(engines="espeak", stream_first_unit_chars=0))
    assert _texts(synthesizer, True) == _texts(synthesizer, False)


def test_ssml_is_planned_as_written(synthesizer: Synthesizer) -> None:
    document = f"<speak>{TEXT}</speak>"
    request = SynthesisRequest(text=document, voice="espeak-zh", ssml=True)
    streamed = [u.text for u in synthesizer.plan(request, stream=True).units]
    assert streamed == [u.text for u in synthesizer.plan(request).units]
