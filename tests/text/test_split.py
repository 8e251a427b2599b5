"""Sentence, clause and word splitting, and the pauses after each piece."""

from __future__ import annotations

import pytest

from voxserve.text.split import (
    PAUSE_CLAUSE,
    PAUSE_ELLIPSIS,
    PAUSE_NONE,
    PAUSE_PARAGRAPH,
    PAUSE_SENTENCE,
    split,
)


def _texts(text: str, max_chars: int = 80) -> list[str]:
    return [piece.text for piece in split(text, max_chars)]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("你好。再见！真的吗？", ["你好。", "再见！", "真的吗？"]),
        ("Hi there. How are you? Fine!", ["Hi there.", "How are you?", "Fine!"]),
        ("他说：“我来了。”然后走了。", ["他说：“我来了。”", "然后走了。"]),
        ("等等……好吧", ["等等……", "好吧"]),
        ("Wait... what?!", ["Wait...", "what?!"]),
        ("J. K. Rowling wrote it.", ["J. K. Rowling wrote it."]),
        ("in the U S. Then more.", ["in the U S.", "Then more."]),
        ("第一行\n第二行", ["第一行", "第二行"]),
        ("一段。\n\n二段。", ["一段。", "二段。"]),
        ("没有标点", ["没有标点"]),
    ],
)
def test_sentences(text: str, expected: list[str]) -> None:
    assert _texts(text) == expected


@pytest.mark.parametrize(
    ("text", "pauses"),
    [
        ("你好。再见！真的吗？", [PAUSE_SENTENCE] * 3),
        ("等等……好吧。", [PAUSE_ELLIPSIS, PAUSE_SENTENCE]),
        ("一段。\n\n二段。", [PAUSE_PARAGRAPH, PAUSE_SENTENCE]),
        ("一行，\n二行", [PAUSE_SENTENCE, PAUSE_SENTENCE]),
    ],
)
def test_pause_follows_punctuation(text: str, pauses: list[float]) -> None:
    assert [piece.pause for piece in split(text, 80)] == pauses


def test_pause_values_are_ordered() -> None:
    assert PAUSE_NONE < PAUSE_CLAUSE < PAUSE_SENTENCE < PAUSE_ELLIPSIS < PAUSE_PARAGRAPH


def test_long_sentence_is_split_at_clauses_with_clause_pauses() -> None:
    text = "今天天气很好，我们去公园散步；然后去吃饭：吃火锅，最后回家睡觉。"
    pieces = split(text, 12)
    assert [p.text for p in pieces] == [
        "今天天气很好，",
        "我们去公园散步；",
        "然后去吃饭：吃火锅，",
        "最后回家睡觉。",
    ]
    assert [p.pause for p in pieces] == [PAUSE_CLAUSE] * 3 + [PAUSE_SENTENCE]
    assert [p.boundary for p in pieces] == ["clause"] * 3 + ["sentence"]


def test_short_clauses_are_packed_together() -> None:
    assert _texts("一，二，三，四，五，六。", 8) == ["一，二，三，四，", "五，六。"]


def test_english_without_punctuation_is_split_at_spaces() -> None:
    text = "This is a very long English sentence without any punctuation in it"
    pieces = split(text, 25)
    assert [p.text for p in pieces] == [
        "This is a very long",
        "English sentence without",
        "any punctuation in it",
    ]
    assert [p.pause for p in pieces] == [PAUSE_NONE, PAUSE_NONE, PAUSE_SENTENCE]


def test_chinese_without_punctuation_is_cut_between_phrases() -> None:
    text = "这是一个没有任何标点符号的非常长的句子我们需要在某个地方把它切开"
    assert _texts(text, 16) == [
        "这是一个没有任何标点符号的",
        "非常长的句子我们需要在某个地方",
        "把它切开",
    ]


def test_an_overlong_word_is_cut_anywhere() -> None:
    assert _texts("Supercalifragilistic", 8) == ["Supercal", "ifragili", "stic"]


@pytest.mark.parametrize("max_chars", [8, 13, 20, 40])
def test_no_piece_is_longer_than_the_limit(max_chars: int) -> None:
    text = (
        "这是一个很长的段落，里面有逗号、顿号；还有分号：以及冒号。"
        "And some English, with commas; and a rather long clause without any stops at all.\n\n"
        "新的段落没有标点符号但是非常非常非常非常长需要被切开"
    )
    pieces = split(text, max_chars)
    assert pieces
    assert all(0 < len(p.text) <= max_chars for p in pieces)
    assert "".join(p.text for p in pieces).replace(" ", "") == text.replace(" ", "").replace(
        "\n", ""
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # A stream's long first sentence: its first clause alone, then the rest of it.
        (
            "前方三百米进入隧道，请打开车灯，保持车距。请注意安全，谢谢。",
            ["前方三百米进入隧道，", "请打开车灯，保持车距。", "请注意安全，谢谢。"],
        ),
        # A first clause under three characters stays with the next one.
        ("嗯，前方三百米进入隧道，请打开车灯。", ["嗯，前方三百米进入隧道，", "请打开车灯。"]),
        ("您好，请问有什么可以帮您？", ["您好，请问有什么可以帮您？"]),  # short: whole
        ("前方三百米进入隧道请打开车灯保持车距。", ["前方三百米进入隧道请打开车灯保持车距。"]),
        (
            "Hello there, how are you today my friend?",
            ["Hello there,", "how are you today my friend?"],
        ),
        # Not inside a list (、): only at a clause's end.
        (
            "科学家们正在研究如何让电池充电更快、寿命更长。",
            ["科学家们正在研究如何让电池充电更快、寿命更长。"],
        ),
    ],
)
def test_a_long_first_sentence_can_be_cut_after_its_first_clause(
    text: str, expected: list[str]
) -> None:
    pieces = split(text, 80, first_chars=16)
    assert [p.text for p in pieces] == expected
    if len(expected) > 1 and len(split(text, 80)) < len(pieces):
        assert (pieces[0].pause, pieces[0].boundary) == (PAUSE_CLAUSE, "clause")
        assert pieces[1].pause == split(text, 80)[0].pause


def test_only_the_first_sentence_is_cut_for_a_stream() -> None:
    text = "您好。前方三百米进入隧道，请打开车灯，保持车距。"
    assert _texts(text) == [p.text for p in split(text, 80, first_chars=16)]
