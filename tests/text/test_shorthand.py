"""Pinyin shorthand and reading marks: ``[行长](hang2 zhang3)``."""

from __future__ import annotations

import pytest

from voxserve.errors import InvalidPinyinError
from voxserve.text import pinyin, prepare, shorthand
from voxserve.text.readings import Reader


def test_extract_readings_by_position() -> None:
    plain, readings = shorthand.extract("他是[行长](xing2 chang2)，不是[乐](yue4)手")
    assert plain == "他是行长，不是乐手"
    assert readings == {2: "xing2", 3: "chang2", 7: "yue4"}


@pytest.mark.parametrize(
    "text",
    ["看[这里](https://example.com)", "[注意](请看下文)", "数组[0](1)", "[链接](see docs)"],
)
def test_brackets_that_are_not_pinyin_are_left_alone(text: str) -> None:
    assert shorthand.extract(text) == (text, {})


@pytest.mark.parametrize(
    ("text", "named"),
    [
        ("[行](hang7)", "hang7"),
        ("[行](hhh2)", "hhh2"),
        ("[行长](hang2)", "hang2"),
        ("[行](hang2 zhang3)", "hang2 zhang3"),
    ],
)
def test_bad_readings_name_what_is_wrong(text: str, named: str) -> None:
    with pytest.raises(InvalidPinyinError) as caught:
        prepare(text)
    assert named in str(caught.value)


def test_syllables_are_written_one_way() -> None:
    assert pinyin.parse("Lü4") == "lv4" and pinyin.parse("nu:3") == "nv3"
    assert pinyin.parse("  HANG2 ") == "hang2"


def test_marks_carry_every_syllable_and_tone() -> None:
    for reading in ("a1", "zhuang4", "lv3", "er5", "ng2"):
        assert pinyin.unmark(pinyin.mark(reading)) == reading
    assert pinyin.strip_marks("行" + pinyin.mark("xing2") + "长") == "行长"


def test_a_mark_decides_the_character_before_it_over_every_stage() -> None:
    reader = Reader(overrides={"行长": ("hang2", "zhang3")})
    marked = "行" + pinyin.mark("xing2") + "长"
    assert reader.readings(marked) == ["xing2", "", "zhang3"]


def test_private_use_characters_from_callers_are_not_marks() -> None:
    units = prepare("行\ue727长")
    assert units[0].text == "行长"


def test_readings_follow_traditional_characters() -> None:
    text = prepare("[臺灣](tai2 wan1)很美")[0].runs[0].text
    assert pinyin.strip_marks(text) == "台湾很美"
    assert [pinyin.unmark(c) for c in text if pinyin.MARKS.match(c)] == ["tai2", "wan1"]
