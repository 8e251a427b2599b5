"""Timestamps against Whisper's word timestamps, per engine and under every rendering path.

Bounds (over all matched words of a set): median |start difference| <= 100 ms, 90th
percentile <= 200 ms, and at least 80% of Whisper's words matched. espeak-ng's Mandarin is not
understood by Whisper (round-trip CER about 0.9), so it has no independent reference here; its
word events are the same code path as its English ones, which are checked.

Two conditions are measured against looser bounds, because the reference fails there, not the
timestamps (the figures are in docs/timestamps.md):

- English at half speed: Whisper base puts word starts 100-450 ms *earlier* than both English
  engines, and by the same amounts for Piper (durations from its model) and espeak-ng (the
  synthesizer's own word events), two unrelated mechanisms; Mandarin at half speed holds the
  tight bounds.
- espeak-ng at double speed: Whisper base mishears or drops up to half of the words of the
  formant synthesizer's speech this fast ("my brother plays the guitar" heard as "ill be right
  back"), so fewer can be matched; the starts of those it does match hold the tight bounds.
"""

from __future__ import annotations

import pytest

from tests.roundtrip.test_speech import EN_SENTENCES
from tests.support.alignment import Agreement, measure
from tests.support.asr import Language, Transcriber
from voxserve.pipeline import Synthesizer
from voxserve.prosody.emotions import EMOTIONS
from voxserve.text.tokens import Tokenizer, default_tokenizer
from voxserve.types import SynthesisRequest

pytestmark = pytest.mark.roundtrip

ZH = [
    "今天天气真好，适合出门散步。",
    "会议定在下午三点举行，请大家准时参加。",
    "这件衣服打折以后只要一百二十八元。",
    "我们公司的营业额今年增长了很多。",
    "请拨打客服电话咨询相关问题。",
    "他昨天买了一部新手机，花了不少钱。",
    "火车将在早上八点从北京南站出发。",
    "这个房间很大，阳光也很充足。",
    "我最喜欢的颜色是蓝色和绿色。",
    "小明今年十二岁，上六年级。",
    "我每天都用微信和朋友聊天。",
    "明天上午我们一起去图书馆看书吧。",
    "您的快递已经到了，请到楼下领取。",
    "周末我们全家去海边度假。",
    "这道菜又香又辣，非常好吃。",
    "请问去火车站应该怎么走？",
    "春天来了，公园里的花都开了。",
    "医生建议他多喝水，早点休息。",
    "这本小说讲的是一个动人的故事。",
    "感谢您的耐心等待，我们马上为您处理。",
]
EN = [
    *EN_SENTENCES,
    "The museum opens at nine and closes early on Sundays.",
    "Thank you for waiting, your order will arrive on Friday.",
    "My brother plays the guitar in a small band downtown.",
    "Remember to turn off the lights before you leave the office.",
]
CONDITION_SENTENCES = 5
"""Sentences per extra condition (speed, rate): enough words for a median."""
EMOTION_SENTENCES = 3
"""Per emotion (six of them): the emotions change pitch and rate, not how durations map."""


@pytest.fixture(scope="module")
def tokenizer() -> Tokenizer:
    return default_tokenizer()


def _check(
    found: Agreement, what: str, median: float = 100, p90: float = 200, rate: float = 0.8
) -> None:
    print(f"{what}: {found.summary()}")
    assert found.match_rate >= rate, f"{what}: {found.summary()}"
    assert found.median <= median, f"{what}: {found.summary()}"
    assert found.p90 <= p90, f"{what}: {found.summary()}"


FAST_MATCH_RATE = 0.5
"""Whisper base follows double-speed speech only in part (see the module's docstring): for
espeak-ng 52-73% of its words, depending on the state espeak-ng carries between texts."""


@pytest.mark.parametrize(
    ("voice", "language", "sentences"),
    [("zh-baker", "zh", ZH), ("en-joe", "en", EN), ("espeak-en", "en", EN)],
)
def test_timestamps_agree_with_whisper(
    synthesizer: Synthesizer,
    tokenizer: Tokenizer,
    transcriber: Transcriber,
    voice: str,
    language: Language,
    sentences: list[str],
) -> None:
    request = SynthesisRequest(text="-", voice=voice)
    found = measure(synthesizer, tokenizer, transcriber, sentences, request, language)
    _check(found, voice)


BAKER_CONDITIONS = [
    *({"speed": speed} for speed in (0.5, 2.0)),
    {"sample_rate": 16000},
    *({"emotion": emotion} for emotion in EMOTIONS if emotion != "neutral"),
]


@pytest.mark.parametrize("condition", BAKER_CONDITIONS, ids=lambda c: f"{c}")
def test_baker_timestamps_hold_under_speed_rate_and_emotion(
    synthesizer: Synthesizer,
    tokenizer: Tokenizer,
    transcriber: Transcriber,
    condition: dict[str, object],
) -> None:
    request = SynthesisRequest(text="-", voice="zh-baker", **condition)  # type: ignore[arg-type]
    sentences = ZH[: CONDITION_SENTENCES if "emotion" not in condition else EMOTION_SENTENCES]
    found = measure(synthesizer, tokenizer, transcriber, sentences, request, "zh")
    _check(found, f"zh-baker {condition}")


@pytest.mark.parametrize("speed", [0.5, 2.0])
@pytest.mark.parametrize("voice", ["en-joe", "espeak-en"])
def test_english_timestamps_hold_under_speed(
    synthesizer: Synthesizer,
    tokenizer: Tokenizer,
    transcriber: Transcriber,
    voice: str,
    speed: float,
) -> None:
    request = SynthesisRequest(text="-", voice=voice, speed=speed)
    if speed < 1:  # Whisper's own early bias on slow English (see the module's docstring)
        sentences = EN[:SLOW_SENTENCES]
        found = measure(synthesizer, tokenizer, transcriber, sentences, request, "en")
        _check(found, f"{voice} speed {speed}", median=SLOW_EN_MEDIAN, p90=SLOW_EN_P90)
    else:  # fast speech is short: every sentence, for a steadier match rate
        found = measure(synthesizer, tokenizer, transcriber, EN, request, "en")
        rate = FAST_MATCH_RATE if voice == "espeak-en" else 0.8
        _check(found, f"{voice} speed {speed}", rate=rate)


SLOW_SENTENCES = 6
"""Slow speech is twice as long to transcribe; six sentences give about 60 words."""
SLOW_EN_MEDIAN = 140
SLOW_EN_P90 = 320
