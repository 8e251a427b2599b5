"""Subtitle cues from timed tokens: where cues break, their timing, and the VTT/SRT/JSON forms."""

from __future__ import annotations

import html
import itertools
import re
from dataclasses import dataclass

import pytest
import srt  # type: ignore[import-untyped, unused-ignore]
import webvtt
from hypothesis import given, settings
from hypothesis import strategies as st

from voxserve.captions import PAUSE_MS, Cue, TimedToken, build_cues, to_json, to_srt, to_vtt

# One token per Han character, per English word, or per normalized span such as "36元".
_TOKEN = re.compile(r"\d+元|[\u4e00-\u9fff]|[A-Za-z0-9']+")
_STEP_MS = 200


@dataclass(frozen=True)
class Token:
    text: str
    orig_start: int
    orig_end: int
    lang: str
    start_ms: int
    end_ms: int


def tokens_of(
    source: str, step_ms: int = _STEP_MS, pauses: dict[int, int] | None = None
) -> list[Token]:
    """Tokens of ``source`` spoken back to back, ``step_ms`` each; ``pauses``: index -> silence
    before that token."""
    tokens: list[Token] = []
    clock = 0
    for index, match in enumerate(_TOKEN.finditer(source)):
        clock += (pauses or {}).get(index, 0)
        lang = "en" if match.group().isascii() else "zh"
        tokens.append(
            Token(match.group(), match.start(), match.end(), lang, clock, clock + step_ms)
        )
        clock += step_ms
    return tokens


def texts(source: str, **limits: int) -> list[str]:
    tokens = tokens_of(source)
    return [cue.text for cue in build_cues(tokens, source, tokens[-1].end_ms, **limits)]


def assert_covers(cues: list[Cue], duration_ms: int) -> None:
    """Ordered, non-overlapping, from 0 to the end, each cue ending where the next begins."""
    assert cues[0].start_ms == 0
    assert cues[-1].end_ms == duration_ms
    for cue, following in itertools.pairwise(cues):
        assert cue.start_ms <= cue.end_ms == following.start_ms


def test_token_fake_satisfies_the_protocol() -> None:
    token: TimedToken = Token("你", 0, 1, "zh", 0, 200)
    assert token.text == "你"


def test_chinese_breaks_after_the_sentence_end_within_the_limit() -> None:
    source = "今天天气很好，我们去公园散步吧。明天可能会下雨，记得带伞。"
    assert texts(source) == ["今天天气很好，我们去公园散步吧。", "明天可能会下雨，记得带伞。"]


def test_chinese_falls_back_to_clause_punctuation() -> None:
    source = "今天天气很好，我们去公园散步，然后一起吃饭。"
    assert texts(source, max_chars=10) == ["今天天气很好，", "我们去公园散步，", "然后一起吃饭。"]


def test_long_chinese_without_punctuation_breaks_at_max_chars() -> None:
    source = "我们" * 25
    cues = texts(source, max_chars=20)
    assert [len(text) for text in cues] == [20, 20, 10]
    assert "".join(cues) == source


def test_a_multi_character_token_is_never_split() -> None:
    source = "我买了一本书花了36元很便宜"
    for limit in range(1, 12):
        cues = texts(source, max_chars=limit)
        assert "".join(cues) == source
        assert any("36元" in text for text in cues)


def test_tokens_sharing_one_span_stay_in_one_cue() -> None:
    # "2024" read as four syllables: four tokens, each pointing at the whole span.
    source = "在2024年"
    tokens = [Token("在", 0, 1, "zh", 0, 200)]
    tokens += [Token("2024", 1, 5, "zh", 200 * k, 200 * k + 200) for k in range(1, 5)]
    tokens.append(Token("年", 5, 6, "zh", 1000, 1200))
    cues = build_cues(tokens, source, 1200, max_chars=2)
    assert [cue.text for cue in cues] == ["在", "2024", "年"]


def test_quotes_follow_the_words_they_enclose() -> None:
    source = "他说：“你好。”然后走了。"
    assert texts(source, max_chars=4) == ["他说：“你好。”", "然后走了。"]
    assert texts(source, max_chars=2) == ["他说：", "“你好。”", "然后", "走了。"]


def test_english_breaks_at_word_boundaries() -> None:
    words = [f"word{n}" for n in range(30)]
    source = " ".join(words)
    cues = texts(source, max_words=12)
    assert [len(text.split()) for text in cues] == [12, 12, 6]
    assert " ".join(cues).split() == words


def test_english_prefers_the_sentence_end() -> None:
    source = "Hello there, my friend. This is a test of the caption builder, which splits text."
    assert texts(source, max_words=8) == [
        "Hello there, my friend.",
        "This is a test of the caption builder,",
        "which splits text.",
    ]


def test_mixed_chinese_and_english() -> None:
    source = "我今天用iPhone拍了三张照片，then I sent them to my friend Alice by email today."
    cues = texts(source, max_chars=12, max_words=6)
    assert cues[0] == "我今天用iPhone拍了三张照片，"
    assert " ".join(cues).replace("， ", "，") == source
    assert all(len(text.split()) <= 6 for text in cues[1:])


def test_whitespace_is_collapsed_and_a_line_break_is_a_preferred_cut() -> None:
    source = "First  line\nsecond\t line."
    assert texts(source) == ["First line second line."]
    assert texts(source, max_words=3) == ["First line", "second line."]


def test_cues_cover_the_audio() -> None:
    source = "今天天气很好，我们去公园散步吧。Then we went home, tired but happy。" * 3
    tokens = tokens_of(source)
    cues = build_cues(tokens, source, tokens[-1].end_ms + 700, max_chars=8, max_words=5)
    assert len(cues) > 5
    assert_covers(cues, tokens[-1].end_ms + 700)


def test_a_long_pause_ends_the_cue_and_stays_a_gap() -> None:
    source = "你好我是小明"
    tokens = tokens_of(source, pauses={2: PAUSE_MS + 500})
    cues = build_cues(tokens, source, 5000)
    assert [(c.start_ms, c.end_ms, c.text) for c in cues] == [
        (0, 400, "你好"),
        (1900, 5000, "我是小明"),
    ]


def test_a_short_pause_is_bridged() -> None:
    source = "你好。我是小明"
    tokens = tokens_of(source, pauses={2: 600})
    cues = build_cues(tokens, source, 5000, max_chars=4)
    assert [(c.start_ms, c.end_ms) for c in cues] == [(0, 1000), (1000, 5000)]


def test_late_speech_starts_the_first_cue_at_its_first_token() -> None:
    source = "你好"
    tokens = [Token("你", 0, 1, "zh", 3000, 3200), Token("好", 1, 2, "zh", 3200, 3400)]
    assert build_cues(tokens, source, 4000) == [Cue(3000, 4000, "你好")]


def test_max_ms_bounds_a_cue() -> None:
    source = "我们" * 10
    tokens = tokens_of(source, step_ms=1000)
    cues = build_cues(tokens, source, 20_000, max_ms=6000)
    assert [len(cue.text) for cue in cues] == [6, 6, 6, 2]
    assert all(cue.end_ms - cue.start_ms <= 6000 for cue in cues)


def test_empty_input() -> None:
    assert build_cues([], "", 1000) == []
    assert to_vtt([]) == "WEBVTT\n"
    assert to_srt([]) == ""
    assert to_json([]) == []


def test_limits_must_be_positive() -> None:
    with pytest.raises(ValueError, match="positive"):
        build_cues(tokens_of("你好"), "你好", 400, max_chars=0)


_CUES = [
    Cue(0, 1500, "今天天气很好，"),
    Cue(1500, 3_723_004, "Tom & Jerry <b>bold</b> a --> b"),
    Cue(3_723_004, 3_725_000, "最后。"),
]


def test_timestamps() -> None:
    assert "01:02:03.004" in to_vtt(_CUES)
    assert "01:02:03,004" in to_srt(_CUES)


def test_srt_parses_and_round_trips() -> None:
    parsed = list(srt.parse(to_srt(_CUES)))
    assert [item.index for item in parsed] == [1, 2, 3]
    assert [
        (item.start.total_seconds() * 1000, item.end.total_seconds() * 1000, item.content)
        for item in parsed
    ] == [(cue.start_ms, cue.end_ms, cue.text) for cue in _CUES]


def test_vtt_parses_and_round_trips() -> None:
    parsed = webvtt.from_string(to_vtt(_CUES), strict=True)
    assert [
        (c.start_time.in_milliseconds(), c.end_time.in_milliseconds(), html.unescape(c.raw_text))
        for c in parsed.captions
    ] == [(cue.start_ms, cue.end_ms, cue.text) for cue in _CUES]


def test_vtt_escapes_reserved_characters() -> None:
    body = to_vtt([Cue(0, 1000, "a < b && c > d --> e")]).split("\n", 3)[3]
    assert body == "a &lt; b &amp;&amp; c &gt; d --&gt; e\n"


def test_json() -> None:
    assert to_json(_CUES[:1]) == [{"start_ms": 0, "end_ms": 1500, "text": "今天天气很好，"}]


_PIECES = st.sampled_from(["你", "好", "36元", "word", "iPhone", "，", "。", ", ", ". ", " ", "\n"])


@settings(max_examples=300, derandomize=True, deadline=None, database=None)
@given(
    st.lists(_PIECES, max_size=60),
    st.integers(1, 25),
    st.integers(1, 15),
    st.integers(0, 2000),
)
def test_any_text_gives_covering_cues_of_its_whole_tokens(
    pieces: list[str], max_chars: int, max_words: int, tail_ms: int
) -> None:
    source = "".join(pieces)
    tokens = tokens_of(source)
    if not tokens:
        assert build_cues(tokens, source, tail_ms) == []
        return
    duration = tokens[-1].end_ms + tail_ms
    cues = build_cues(tokens, source, duration, max_chars=max_chars, max_words=max_words)
    assert_covers(cues, duration)
    # Every token lands whole in exactly one cue, in order.
    assert _TOKEN.findall(" ".join(cue.text for cue in cues)) == [t.text for t in tokens]
    list(srt.parse(to_srt(cues)))
    assert len(webvtt.from_string(to_vtt(cues), strict=True).captions) == len(cues)
