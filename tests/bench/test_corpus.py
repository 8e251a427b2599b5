"""The request corpus: the study's mean length, a real spread, Mandarin only."""

from __future__ import annotations

import itertools
import re

from loadgen.corpus import CORPUS, describe, text_stream


def test_mean_length_is_the_studys_87_characters() -> None:
    assert abs(describe()["mean_chars"] - 87) < 0.5


def test_lengths_spread_from_short_sentences_to_long_paragraphs() -> None:
    lengths = sorted(len(t) for t in CORPUS)
    assert lengths[0] <= 15
    assert lengths[-1] >= 200
    assert sum(1 for n in lengths if n <= 20) >= 5
    assert sum(1 for n in lengths if n >= 120) >= 10
    assert len(set(CORPUS)) == len(CORPUS)


def test_only_chinese_digits_and_punctuation() -> None:
    # The Mandarin voice alone must speak every text: no Latin letters.
    for text in CORPUS:
        assert not re.search(r"[A-Za-z]", text), text
        assert re.search(r"[\u4e00-\u9fff]", text)


def test_text_stream_sends_every_text_once_per_pass_in_a_seeded_order() -> None:
    first = list(itertools.islice(text_stream(1), len(CORPUS)))
    assert sorted(first) == sorted(CORPUS)
    again = list(itertools.islice(text_stream(1), len(CORPUS)))
    other = list(itertools.islice(text_stream(2), len(CORPUS)))
    assert first == again
    assert first != other
