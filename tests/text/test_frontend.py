"""prepare(): text in, units with ready-to-speak language runs out."""

from __future__ import annotations

import itertools
import re
import time

import pytest

from voxserve.errors import EmptyTextError, InvalidTextError
from voxserve.text import Run, Unit, prepare
from voxserve.text.split import PAUSE_CLAUSE, PAUSE_PARAGRAPH, PAUSE_SENTENCE

_ZH_RUN = re.compile(r"[\u3007\u3400-\u9fff，。！？；：、…]+")
_EN_RUN = re.compile(r"[A-Za-z\u00c0-\u024f ,.!?;:'\"()-]+")

CORPUS = [
    "今天是2024年3月5日，温度-3.5℃，增长了35%，3/4的人同意。",
    "我的电话是13812345678，座机010-12345678。",
    "价格¥12.50，或者$3，US$5。",
    "14:30开会，8:05出发；第3名拿到了2个奖。",
    "我用iPhone拍照，打开WiFi上传，AI和GPU很重要。",
    "這是繁體中文，我們會說。",
    "It costs $3.50 and Dr. Smith arrived at 8:05 p.m. with 2 friends, e.g. Tom.",
    "I love 北京 and 上海. The CEO said 1999 was great!",
    "跑了5km，重2kg，16GB内存，100m²，时速120km/h。",
    "他说：“我来了！”然后……走了。\n\n第二段（注：备注）。",
    "1+1=2，3×4=12，A&B，@张三，#话题#，**重要**。",
    "没有标点符号的很长的句子我们需要把它切开否则会太长了根本没法一口气读完真的太长了",
]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我用iPhone拍照", [Run("我用", "zh"), Run("iPhone", "en"), Run("拍照", "zh")]),
        ("我们用AI训练模型。", [Run("我们用", "zh"), Run("A I", "en"), Run("训练模型。", "zh")]),
        ("這個軟體很好用。", [Run("这个软体很好用。", "zh")]),
        ("I love 北京.", [Run("I love", "en"), Run("北京。", "zh")]),
        ("我有2个iPhone。", [Run("我有两个", "zh"), Run("iPhone.", "en")]),
        ("It has 2 GB.", [Run("It has two gigabytes.", "en")]),
    ],
)
def test_runs_of_one_unit(text: str, expected: list[Run]) -> None:
    (unit,) = prepare(text)
    assert list(unit.runs) == expected


def test_units_and_pauses() -> None:
    units = prepare("你好。再见！\n\n新段落，很长的从句在这里，还有更多的内容。", max_unit_chars=10)
    assert [(u.text, u.pause_after, u.boundary) for u in units] == [
        ("你好。", PAUSE_SENTENCE, "sentence"),
        ("再见！", PAUSE_PARAGRAPH, "paragraph"),
        ("新段落，", PAUSE_CLAUSE, "clause"),
        ("很长的从句在这里，", PAUSE_CLAUSE, "clause"),
        ("还有更多的内容。", PAUSE_SENTENCE, "sentence"),
    ]


def test_stray_quote_does_not_make_an_empty_unit() -> None:
    units = prepare("他说完了。” “")
    assert [u.text for u in units] == ["他说完了。”"]


@pytest.mark.parametrize(
    "text", ["", "   ", "\n\t\n", "。。。", "！？…", "“”（）", "😀🎉👍", "+ = %"]
)
def test_nothing_speakable(text: str) -> None:
    with pytest.raises(EmptyTextError) as raised:
        prepare(text)
    assert raised.value.param == "text"


@pytest.mark.parametrize("text", ["こんにちは", "Привет мир"])
def test_no_chinese_or_english(text: str) -> None:
    with pytest.raises(EmptyTextError, match="no Chinese or English"):
        prepare(text)


@pytest.mark.parametrize("text", ["bell\x07", "\x1b[0m你好", "nul\x00", "del\x7f", "c1\x9b"])
def test_control_characters(text: str) -> None:
    with pytest.raises(InvalidTextError) as raised:
        prepare(text)
    assert raised.value.param == "text"
    assert "U+" in raised.value.message


@pytest.mark.parametrize("max_unit_chars", [8, 20, 80])
@pytest.mark.parametrize("text", CORPUS)
def test_every_run_is_ready_to_speak(text: str, max_unit_chars: int) -> None:
    units = prepare(text, max_unit_chars=max_unit_chars)
    assert units
    for unit in units:
        assert isinstance(unit, Unit)
        assert 0 < len(unit.text) <= max_unit_chars
        assert unit.runs and unit.pause_after >= 0
        for run in unit.runs:
            assert not re.search(r"\d", run.text), run
            pattern = _ZH_RUN if run.lang == "zh" else _EN_RUN
            assert pattern.fullmatch(run.text), run
            assert any(c.isalpha() for c in run.text), run
        langs = [run.lang for run in unit.runs]
        assert all(a != b for a, b in itertools.pairwise(langs)), unit


def test_prepare_is_fast() -> None:
    sentences = CORPUS * 20
    prepare(CORPUS[0])
    started = time.perf_counter()
    for sentence in sentences:
        prepare(sentence)
    per_sentence = (time.perf_counter() - started) / len(sentences)
    # About 0.2 ms on one core; the bound leaves room for a loaded machine.
    assert per_sentence < 0.005


@pytest.mark.parametrize(
    "text",
    ["1" * 5000, "1+" * 2500, "1-" * 2500, "1," * 2500, "1." * 2500, "1:" * 2500, "A " * 2500],
)
def test_long_pathological_input_takes_linear_time(text: str) -> None:
    started = time.perf_counter()
    units = prepare(text)
    assert units
    assert time.perf_counter() - started < 3.0
