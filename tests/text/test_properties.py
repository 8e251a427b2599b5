"""Property-based tests of the text front end: any Unicode string either yields speech units
or an InputError (a clear 4xx for the API), never another exception.

Fixed seed (``derandomize=True``), a stated number of examples, no deadline (2 shared cores).
"""

from __future__ import annotations

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from voxserve.errors import InputError
from voxserve.pipeline import Planner
from voxserve.settings import Settings
from voxserve.text import normalize, prepare
from voxserve.text.readings import Reader
from voxserve.text.tokens import Tokenizer
from voxserve.text.trace import normalize_traced
from voxserve.types import SynthesisRequest, Voice
from voxserve.voices import VoiceCatalog

EXAMPLES = 1500
PROPERTY = settings(
    max_examples=EXAMPLES,
    derandomize=True,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    database=None,
)

# Text a TTS front end meets, mixed: Chinese, Latin, digits and the symbols its rules read.
_PIECES = st.sampled_from(
    [
        "你好",
        "今天",
        "两",
        "元",
        "年",
        "月",
        "日",
        "点",
        "分",
        "%",
        "‰",
        "℃",
        "°",
        "¥",
        "$",
        "€",
        "£",
        "-",
        "+",
        "/",
        ":",
        ".",
        ",",
        "，",
        "。",
        "！",
        "？",
        "…",
        "~",
        "～",
        "—",
        "(",
        ")",
        "（",
        "）",
        '"',
        "“",
        "”",
        "'",
        "km",
        "kg",
        "GB",
        "iPhone",
        "NASA",
        "Dr.",
        "Mr.",
        "AM",
        "pm",
        "1st",
        "2nd",
        "0",
        "1",
        "2",
        "3",
        "9",
        "10",
        "100",
        "0.5",
        "3.14",
        "1,000",
        "12:30",
        "2024",
        "2024-01-02",
        "1/2",
        "50%",
        "138",
        "\n",
        " ",
        "\t",
        "#",
        "@",
        "&",
        "*",
        "=",
        "^",
        "_",
        "|",
        "·",
        "、",
        "；",
        "：",
        "《",
        "》",
        "e",
        "E",
        "x",
    ]
)
TTS_TEXT = st.lists(_PIECES, max_size=40).map("".join)
ANY_TEXT = st.text(max_size=200)


def _check_units(text: str, max_unit_chars: int) -> None:
    try:
        units = prepare(text, max_unit_chars=max_unit_chars)
    except InputError:
        return
    assert units, "prepare returned no units and no error"
    for unit in units:
        assert unit.text.strip(), f"empty unit from {text!r}"
        assert unit.runs and all(r.text for r in unit.runs)
        assert unit.pause_after >= 0
        assert len(unit.text) <= max_unit_chars, (text, unit.text)


@PROPERTY
@given(text=ANY_TEXT, max_unit_chars=st.integers(8, 400))
@example(text="\ud800", max_unit_chars=80)  # a lone surrogate (from JSON "\ud800")
@example(text="\x00", max_unit_chars=80)
def test_prepare_any_unicode(text: str, max_unit_chars: int) -> None:
    _check_units(text, max_unit_chars)


@PROPERTY
@given(text=TTS_TEXT, max_unit_chars=st.integers(8, 120))
def test_prepare_tts_like_text(text: str, max_unit_chars: int) -> None:
    _check_units(text, max_unit_chars)


def _planner() -> Planner:
    settings_ = Settings(default_voice="espeak-zh", max_text_chars=300)
    voices = [
        Voice("espeak-zh", "espeak", "zh", "eSpeak Mandarin", 22050),
        Voice("espeak-en", "espeak", "en", "eSpeak English", 22050),
    ]
    return Planner(settings_, VoiceCatalog(voices, settings_))


PLANNER = _planner()


@PROPERTY
@given(
    text=st.one_of(ANY_TEXT, TTS_TEXT, st.text(min_size=290, max_size=310)),
    voice=st.sampled_from([None, "espeak-zh", "espeak-en", "zh", "en", "nobody", ""]),
    emotion=st.sampled_from(["neutral", "happy", "sad", "bored", ""]),
    intensity=st.floats(allow_nan=True, allow_infinity=True),
    speed=st.floats(allow_nan=True, allow_infinity=True),
)
def test_planner_any_request(
    text: str, voice: str | None, emotion: str, intensity: float, speed: float
) -> None:
    try:
        request = SynthesisRequest(
            text=text, voice=voice, emotion=emotion, intensity=intensity, speed=speed
        )
        plan = PLANNER.plan(request)
    except InputError:
        return
    assert plan.units and all(u.text.strip() for u in plan.units)
    assert all(len(u.text) <= PLANNER.settings.max_unit_chars * 2 for u in plan.units)


_TOKENIZER = Tokenizer(Reader())


@settings(max_examples=400, derandomize=True, deadline=None, database=None)
@given(text=TTS_TEXT)
def test_tokens_point_into_the_text(text: str) -> None:
    """Traced normalization gives the text prepare speaks; every token's span is inside the
    caller's text, and tokens come in order."""
    try:
        traced = normalize_traced(text)
        tokens = _TOKENIZER.tokens(text)
    except InputError:
        return
    assert traced.text == normalize(text)
    starts = [t.orig_start for t in tokens]
    assert starts == sorted(starts)
    for token in tokens:
        assert 0 <= token.orig_start <= token.orig_end <= len(text)
        assert token.text == text[token.orig_start : token.orig_end]
        if token.lang == "zh":
            assert token.pinyin is not None and len(token.pinyin) == len(token.spoken)
