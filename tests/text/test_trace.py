"""Traced normalization: the same text as normalize, and spans that point at the source."""

from __future__ import annotations

import pytest

from voxserve.text import normalize
from voxserve.text.trace import Traced, align, normalize_traced

TEXTS = [
    "您的账户余额为负36.00元，本月消费2.17元。",
    "事情发生在2020/03/31的上午8:00.",
    "Dr. Smith paid $3.50 at 5pm on March 3rd, 2024.",
    "他說：「臺灣的銀行」",
    "比分测试17:16，增长了0.70%。",
    "请拨打１３９８５６０８５２６，或者发邮件。",
    "GPT-4 的 API 每 1,000 个 token 收费 0.03 美元。",
    "",
]


@pytest.mark.parametrize("text", TEXTS)
def test_traced_text_is_what_normalize_gives(text: str) -> None:
    traced = normalize_traced(text)
    assert traced.text == normalize(text)
    assert len(traced.spans) == len(traced.text)
    assert all(0 <= start <= end <= len(text) for start, end in traced.spans)


def test_unchanged_characters_keep_their_own_span() -> None:
    text = "您的余额为36.00元。"
    traced = normalize_traced(text)
    assert traced.text == "您的余额为三十六元。"
    assert [text[s:e] for s, e in traced.spans] == [
        *"您的余额为",
        "36.00",
        "36.00",
        "36.00",
        "元",
        "。",
    ]


def test_alignment_of_an_insertion_is_an_empty_span() -> None:
    traced = align(Traced.of("ab"), "aXb")
    assert traced.spans == ((0, 1), (1, 1), (1, 2))


def test_width_forms_and_traditional_characters_keep_their_own_spans() -> None:
    text = "ｈｉ，價格１２元"
    traced = normalize_traced(text)
    assert traced.text == "hi，价格十二元"
    assert [text[s:e] for s, e in traced.spans] == [*"ｈｉ，價格", "１２", "１２", "元"]
