"""The word matching that compares timestamps with a reference (no model involved)."""

from __future__ import annotations

import pytest

from tests.support.alignment import Agreement, HeardWord, SpokenToken, agreement


def test_matched_words_give_absolute_and_signed_differences() -> None:
    ours = [SpokenToken("The", 40), SpokenToken("weather", 120), SpokenToken("is", 470)]
    heard = [HeardWord(" the", 0), HeardWord(" weather", 120), HeardWord(" is", 360)]
    found = agreement(ours, heard, "en")
    assert found.differences == [40, 0, 110]
    assert found.offsets == [-40, 0, -110]
    assert found.bias == -40  # the heard words start earlier
    assert (found.matched, found.heard, found.match_rate) == (3, 3, 1.0)


def test_a_word_heard_as_another_of_other_length_is_not_matched() -> None:
    ours = [SpokenToken("half", 0), SpokenToken("past", 200), SpokenToken("eight", 400)]
    heard = [HeardWord("have", 0), HeardWord("a", 150), HeardWord("past", 210)]
    found = agreement(ours, heard, "en")
    assert found.offsets == [10]
    assert found.match_rate == pytest.approx(1 / 3)


def test_agreements_add_up() -> None:
    total = Agreement()
    total.add(Agreement(differences=[10], heard=2, offsets=[-10]))
    total.add(Agreement(differences=[30, 50], heard=2, offsets=[30, -50]))
    assert (total.median, total.bias, total.heard) == (30, -10, 4)


def test_a_run_heard_a_piece_shorter_keeps_the_pieces_that_sound_alike() -> None:
    """Fast speech: 合出门散步 heard as 哥书字母 (one syllable fewer)."""
    ours = [SpokenToken(c, 100 * i) for i, c in enumerate("今天合出门散步")]
    heard = [HeardWord(c, 100 * i + 10) for i, c in enumerate("今天哥书字母")]
    found = agreement(ours, heard, "zh")
    # jin tian are equal and shu sounds like chu; ge/he and mu/bu are not alike enough
    assert found.matched >= 3
    assert set(found.offsets) == {10}
    assert found.heard == 6


def test_pieces_that_do_not_sound_alike_stay_unpaired() -> None:
    spoken, misheard = ["my", "brother", "plays", "the", "guitar"], ["ill", "be", "right", "back"]
    ours = [SpokenToken(w, 100 * i) for i, w in enumerate(spoken)]
    heard = [HeardWord(w, 100 * i) for i, w in enumerate(misheard)]
    assert agreement(ours, heard, "en").matched == 0
