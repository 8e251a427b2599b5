"""Where a sentence's parts sit in the Baker input: phrases, phrase-final syllables, emphasis."""

from __future__ import annotations

import pytest

from voxserve.engines.baker_shape import (
    emphasized,
    phrase_finals,
    phrases,
    shape,
)
from voxserve.engines.baker_zh import SPEC, BakerZhEngine
from voxserve.models import ModelStore
from voxserve.settings import Settings

PHONES = ["sil", "w", "o3", "#1", "h", "ao3", "#3", "n", "i3", "#0", "^", "er5", "sil"]


@pytest.fixture(scope="module")
def engine() -> BakerZhEngine:
    settings = Settings()
    ModelStore(settings).build("baker-zh", progress=print)
    return SPEC.load(settings)


def test_phrases_lie_between_pauses() -> None:
    assert phrases(PHONES) == [range(1, 6), range(7, 12)]


def test_a_phrase_ends_with_its_last_syllable_erhua_included() -> None:
    assert phrase_finals(PHONES) == [range(3, 6), range(9, 12)]
    assert phrase_finals(["sil", "h", "ua4", "er5", "sil"]) == [range(1, 4)]


def test_emphasis_words_are_found_whole_with_their_boundary() -> None:
    text = "我非常好"
    owned = [("sil", -1), ("^", 0), ("uo3", 0), ("#1", 1), ("f", 1), ("ei1", 1), ("#0", 2)]
    owned += [("ch", 2), ("ang2", 2), ("#1", 3), ("h", 3), ("ao3", 3), ("sil", -1)]
    assert emphasized(text, owned) == [range(3, 9)]


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("我非常喜欢这本书，它特别有意思。", ["非常", "特别"]),
        ("这个消息真是太好了！", ["真是", "太"]),
        ("请在会议开始前十分钟到达。", []),  # 十分 here is ten minutes
        ("太阳出来了！", []),
    ],
)
def test_emphasis_in_real_sentences(engine: BakerZhEngine, text: str, words: list[str]) -> None:
    owned = engine.frontend.known_owned_phones(text)
    found = shape(text, owned, len(owned) + 1).emphasis
    chars = ["".join(dict.fromkeys(text[owned[i][1]] for i in word)) for word in found]
    assert chars == words
