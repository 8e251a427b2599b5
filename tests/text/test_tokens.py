"""Tokens: one per Han character, per rewritten span, per English word, with offsets."""

from __future__ import annotations

import pytest

from voxserve.errors import EmptyTextError, InvalidTextError
from voxserve.text.readings import Reader, g2pm_model, jieba_segmenter
from voxserve.text.tokens import Token, Tokenizer, espeak_phonemizer


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return Tokenizer(Reader(jieba_segmenter(), g2pm_model()), espeak_phonemizer())


def _shape(tokens: list[Token]) -> list[tuple[str, str, str]]:
    return [(t.text, t.spoken, " ".join(t.pinyin or ()) or (t.phonemes or "")) for t in tokens]


def test_han_characters_one_token_each_with_offsets(tokenizer: Tokenizer) -> None:
    text = "他是银行的行长。"
    tokens = tokenizer.tokens(text)
    assert [t.text for t in tokens] == list("他是银行的行长")
    assert [t.pinyin for t in tokens][-2:] == [("hang2",), ("zhang3",)]
    assert all(text[t.orig_start : t.orig_end] == t.text for t in tokens)
    assert {t.lang for t in tokens} == {"zh"}


def test_a_number_is_one_token_spoken_as_words(tokenizer: Tokenizer) -> None:
    tokens = tokenizer.tokens("余额36.00元")
    assert _shape(tokens)[2:] == [("36.00", "三十六", "san1 shi2 liu4"), ("元", "元", "yuan2")]
    assert (tokens[2].orig_start, tokens[2].orig_end) == (2, 7)


def test_english_words_carry_phonemes(tokenizer: Tokenizer) -> None:
    tokens = tokenizer.tokens("我用iPhone打给Dr. Smith。")
    english = [t for t in tokens if t.lang == "en"]
    assert [(t.text, t.spoken) for t in english] == [
        ("iPhone", "iPhone"),
        ("Dr.", "Doctor"),
        ("Smith", "Smith"),
    ]
    assert all(t.phonemes and t.pinyin is None for t in english)
    assert english[2].phonemes == "smˈɪθ"


def test_traditional_characters_point_at_the_callers_text(tokenizer: Tokenizer) -> None:
    tokens = tokenizer.tokens("銀行很長")
    assert [(t.text, t.spoken) for t in tokens] == [
        ("銀", "银"),
        ("行", "行"),
        ("很", "很"),
        ("長", "长"),
    ]
    assert tokens[3].pinyin == ("chang2",)


def test_bad_text_raises_like_synthesis(tokenizer: Tokenizer) -> None:
    with pytest.raises(EmptyTextError):
        tokenizer.tokens("，。！")
    with pytest.raises(InvalidTextError):
        tokenizer.tokens("a\x00b")
