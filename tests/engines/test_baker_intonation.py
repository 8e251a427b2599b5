"""Questions rise at their end on baker-zh (the model renders it), statements do not."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.acoustics import final_rise, measure
from voxserve.engines import baker_prosody
from voxserve.engines.baker_prosody import Shape
from voxserve.engines.baker_shape import final_neutral_syllable, sentence_kind
from voxserve.pipeline import Synthesizer
from voxserve.settings import Settings
from voxserve.types import NEUTRAL_PROSODY, Prosody, SynthesisRequest

PAIRS = (  # the same words, asked and stated: 吗, 呢 and a bare question mark
    "你明天去北京吗",
    "这本书是你的吗",
    "你吃过晚饭了吗",
    "他们什么时候到呢",
    "我们去哪里吃饭呢",
    "你觉得这个颜色怎么样呢",
    "你今天下午有空",
    "这是你第一次来上海",
    "明天的会议改到三点了",
    "你把钥匙放在桌子上了",
    "外面还在下雨",
    "他已经知道这件事了",
)

EXCLAIMED = (  # the same words, exclaimed and stated; some with an emphasis word, some without
    "这个消息真是太好了",
    "我们终于赢得了比赛",
    "你做得非常好",
    "快点过来看看这个",
    "这里的风景真漂亮",
    "我简直不敢相信",
    "大家一起加油",
    "这道菜实在太好吃了",
    "他居然一个人完成了",
    "欢迎大家来到北京",
)


@pytest.fixture(scope="module")
def synthesizer() -> Synthesizer:
    return Synthesizer.load(Settings(engines="baker-zh"))


def _rise(synthesizer: Synthesizer, text: str) -> float:
    result = synthesizer.synthesize(SynthesisRequest(text=text, voice="zh-baker"))
    return final_rise(result.pcm, result.sample_rate)


def test_questions_end_higher_than_statements(synthesizer: Synthesizer) -> None:
    higher = [_rise(synthesizer, w + "？") - _rise(synthesizer, w + "。") for w in PAIRS]
    assert min(higher) >= 2.0, higher


def _mean_f0(synthesizer: Synthesizer, text: str) -> float:
    result = synthesizer.synthesize(SynthesisRequest(text=text, voice="zh-baker"))
    return measure(result.pcm, result.sample_rate).f0_mean


def test_exclamations_are_spoken_higher_than_statements(synthesizer: Synthesizer) -> None:
    higher = [_mean_f0(synthesizer, w + "！") - _mean_f0(synthesizer, w + "。") for w in EXCLAIMED]
    assert min(higher) >= 0.5, higher
    assert np.median(higher) >= 1.0, higher


def test_the_plan_raises_the_end_of_a_question_and_its_particle() -> None:
    statement = baker_prosody.plan(NEUTRAL_PROSODY, Shape(20))
    question = baker_prosody.plan(
        NEUTRAL_PROSODY, Shape(20, "question", final_particle=range(16, 18))
    )
    assert not statement.f0_offsets.any()
    assert not question.f0_offsets[: 20 - baker_prosody.QUESTION_SPAN].any()
    assert np.all(np.diff(question.f0_offsets[-baker_prosody.QUESTION_SPAN : 16]) > 0)
    assert question.f0_offsets[16] == pytest.approx(baker_prosody.PARTICLE_RISE)
    raised = baker_prosody.plan(Prosody(pitch=3.0), Shape(20, "question"))
    assert raised.f0_offsets.max() <= 2.0  # the voice saturates: never past +2 units


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("你好吗？", "question"),
        ("你好吗?", "question"),
        ("“真的？”", "question"),
        ("你好。", "statement"),
        ("你好", "statement"),
        ("太好了！", "exclamation"),
        ("「快跑!」", "exclamation"),
        ("？！", "exclamation"),
    ],
)
def test_a_sentence_is_asked_or_exclaimed_by_its_final_mark(text: str, kind: str) -> None:
    assert sentence_kind(text) == kind


def test_the_final_particle_is_found_by_its_neutral_tone() -> None:
    assert final_neutral_syllable(["sil", "n", "i3", "#1", "m", "a5", "sil"]) == range(4, 6)
    assert final_neutral_syllable(["sil", "n", "i3", "#1", "h", "ao3", "sil"]) is None
    assert final_neutral_syllable(["sil", "^", "a5", "sil"]) == range(1, 3)
