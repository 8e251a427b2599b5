"""Neutral tone on the last syllable of lexical neutral-tone words and reduplications."""

from __future__ import annotations

import pytest

from voxserve.text import pinyin
from voxserve.text.readings import Reader, g2pm_model, jieba_segmenter
from voxserve.text.readings import neutral as neutral_tone


@pytest.fixture(scope="module")
def reader() -> Reader:
    return Reader(jieba_segmenter(), g2pm_model())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("朋友", "peng2 you5"),
        ("衣服", "yi1 fu5"),
        ("告诉", "gao4 su5"),
        ("妈妈", "ma1 ma5"),
        ("看看", "kan4 kan5"),
        ("谢谢", "xie4 xie5"),
        ("不好意思", "bu4 hao3 yi4 si5"),
        # Reduplicated adverbs keep their tones; so do words whose neutral tone is a meaning.
        ("常常", "chang2 chang2"),
        ("天天", "tian1 tian1"),
        ("东西", "dong1 xi1"),
    ],
)
def test_word_by_word(reader: Reader, text: str, expected: str) -> None:
    readings = reader.readings(text)
    neutral_tone.apply(text, readings)
    assert " ".join(readings) == expected


def test_inside_a_sentence_and_a_given_reading_wins(reader: Reader) -> None:
    text = "我的朋友们告诉我"
    readings = reader.readings(text)
    neutral_tone.apply(text, readings)
    assert readings[2:5] == ["peng2", "you5", "men5"] and readings[5:7] == ["gao4", "su5"]
    marked = "朋友" + pinyin.mark("you3")
    readings = reader.readings(marked)
    neutral_tone.apply(marked, readings)
    assert readings[:2] == ["peng2", "you3"]
