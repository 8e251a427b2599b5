"""Third-tone sandhi by prosodic word and erhua, word by word (tones as numbers)."""

from __future__ import annotations

import pytest

from voxserve.text.readings.sandhi import erhua, third_tone


def changed(tones: str, words: list[int] | None, split: list[int] | None = None) -> str:
    found = [int(t) for t in tones.split()]
    third_tone(found, words, (lambda _: split) if split else None)
    return " ".join(map(str, found))


@pytest.mark.parametrize(
    ("words", "tones", "split", "expected"),
    [
        ("你好", "3 3", None, "2 3"),
        ("展览馆", "3 3 3", [2, 1], "2 2 3"),
        ("纸老虎", "3 3 3", [1, 2], "3 2 3"),
        ("岂有此理", "3 3 3 3", None, "2 3 2 3"),
        ("好 喜欢", "3 3 5", None, "2 3 5"),
        ("所有 人", "3 3 2", None, "2 3 2"),
        ("我 很 好", "3 3 3", None, "3 2 3"),
        ("我 想 买 五 把 小 雨伞", "3 3 3 3 3 3 3 3", None, "3 2 3 2 3 3 2 3"),
        ("老 李 买 好 酒", "3 3 3 3 3", None, "3 2 3 2 3"),
        ("雨伞 很 好看", "3 3 3 3 4", None, "2 3 2 3 4"),
        ("小 雨伞", "3 3 3", None, "3 2 3"),
        ("图书馆 里", "2 1 3 3", None, "2 1 2 3"),  # a single syllable leans on its word
        ("很远 很远", "3 3 3 3", None, "2 3 2 3"),  # two words: two prosodic words
    ],
)
def test_third_tones(words: str, tones: str, split: list[int] | None, expected: str) -> None:
    lengths = [len(word) for word in words.split()]
    assert changed(tones, lengths, split) == expected


def test_without_words_the_clause_is_one_run() -> None:
    assert changed("3 3 3 3", None) == "2 2 2 3"
    assert changed("3 1 3 3", None) == "3 1 2 3"


@pytest.mark.parametrize(
    ("chars", "words", "suffixes"),
    [
        ("哪儿", [2], [1]),
        ("一会儿", [3], [2]),
        ("玩儿", [1, 1], [1]),  # split by the segmenter: the common suffix list decides
        ("女儿", [2], []),
        ("婴儿", [2], []),
        ("混血儿", [3], []),
        ("儿子", [2], []),
        ("好儿", [1, 1], []),  # not a suffix after 好 without a word
    ],
)
def test_erhua(chars: str, words: list[int], suffixes: list[int]) -> None:
    flags = erhua(chars, words)
    assert [i for i, flag in enumerate(flags) if flag] == suffixes
    assert erhua("哪儿", None) == [False, True] and erhua("女儿", None) == [False, False]
