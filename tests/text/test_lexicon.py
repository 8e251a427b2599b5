"""Lexicons in the front end: aliases replace their graphemes (offsets kept), readings become
marks, the longest grapheme wins, a reading written in the text wins over the lexicon."""

from __future__ import annotations

from voxserve.text import pinyin
from voxserve.text.frontend import prepare
from voxserve.text.lexicon import Lexicon, Pronunciation, pronunciations
from voxserve.text.trace import normalize_traced

LEXICON = Lexicon.merged(
    [
        pronunciations(
            [
                {"grapheme": "行长", "pinyin": "xing2 chang2"},
                {"grapheme": "行", "pinyin": "hang2"},
                {"grapheme": "W3C", "alias": "万维网联盟"},
                {"grapheme": "2号线", "alias": "二号线"},
            ],
            100,
        )
    ]
)


def readings(text: str) -> list[tuple[str, str]]:
    """(character, reading) of each marked Han character of the normalized text."""
    out = normalize_traced(text, LEXICON).text
    return [(out[i - 1], pinyin.unmark(c)) for i, c in enumerate(out) if pinyin.MARKS.match(c)]


def test_readings_become_marks_longest_grapheme_first() -> None:
    assert readings("行长在银行。") == [("行", "xing2"), ("长", "chang2"), ("行", "hang2")]


def test_a_reading_in_the_text_wins_over_the_lexicon() -> None:
    assert readings("[行长](hang2 zhang3)和行长") == [
        ("行", "hang2"),
        ("长", "zhang3"),
        ("行", "xing2"),
        ("长", "chang2"),
    ]


def test_aliases_replace_before_numbers_are_read_and_keep_offsets() -> None:
    text = "坐2号线去W3C，共3站。"
    traced = normalize_traced(text, LEXICON)
    assert traced.text == "坐二号线去万维网联盟，共三站。"
    start = traced.text.index("万")
    assert {traced.spans[i] for i in range(start, start + 5)} == {(5, 8)}
    assert traced.spans[traced.text.index("三")] == (text.rindex("3"), text.rindex("3") + 1)


def test_prepare_applies_the_lexicon_and_nothing_without_one() -> None:
    [unit] = prepare("W3C的行长。", lexicon=LEXICON)
    assert pinyin.strip_marks(unit.text) == "万维网联盟的行长。"
    [plain] = prepare("W3C的行长。")
    assert "万维网" not in plain.text and not pinyin.MARKS.search(plain.text)


def test_merge_keeps_the_last_entry_of_a_grapheme_and_the_names() -> None:
    one = (Pronunciation("行", pinyin=("hang2",)),)
    two = (Pronunciation("行", pinyin=("xing2",)), Pronunciation("好", alias="很好"))
    merged = Lexicon.merged([one, two], ["one", "two"])
    assert merged.by_grapheme["行"].pinyin == ("xing2",) and merged.names == ("one", "two")
    assert Lexicon.from_json(merged.to_json(), merged.names) == merged
    assert not Lexicon() and merged
