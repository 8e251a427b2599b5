"""Speech must be speech: synthesize, transcribe with Whisper base, score CER/WER."""

from __future__ import annotations

import pytest

from tests.support.asr import Transcriber, normalize_en, normalize_zh, score
from voxserve.pipeline import Synthesizer
from voxserve.types import SynthesisRequest

pytestmark = pytest.mark.roundtrip

ZH_SENTENCES = [
    "今天天气真好，适合出门散步。",
    "会议定在2024年3月5日下午3点举行。",
    "这件衣服打折以后只要128元。",
    "我们公司的营业额增长了15%。",
    "请拨打客服电话400-800-1234咨询。",
    "他昨天买了一部新手机，花了3999元。",
    "火车将在早上8:30从北京南站出发。",
    "这个房间的面积是25平方米。",
    "我最喜欢的颜色是蓝色和绿色。",
    "小明今年12岁，上六年级。",
    "我每天都用微信和朋友聊天。",
    "今天的最高气温是28℃。",
    "明天上午我们一起去图书馆看书吧。",
    "我用iPhone拍了很多照片。",
]
EN_SENTENCES = [
    "The weather is lovely today, so we will walk to the park.",
    "Please call me back when you get this message.",
    "The train leaves at half past eight tomorrow morning.",
    "She bought three apples and two oranges at the market.",
    "Our team finished the project two weeks ahead of schedule.",
    "Reading a good book is the best way to spend a rainy afternoon.",
]


def _corpus_error(
    synthesizer: Synthesizer,
    transcriber: Transcriber,
    voice: str,
    lang: str,
    sentences: list[str],
) -> float:
    """Error rate over the whole corpus: per-sentence rates weighted by reference length."""
    normalize = normalize_zh if lang == "zh" else normalize_en
    total = weight = 0.0
    for text in sentences:
        result = synthesizer.synthesize(SynthesisRequest(text=text, voice=voice))
        heard = transcriber.transcribe(result.pcm, result.sample_rate, lang)
        size = len(normalize(text)) if lang == "zh" else len(normalize(text).split())
        total += score(text, heard, lang) * size  # type: ignore[arg-type]
        weight += size
    return total / weight


def test_baker_mandarin_cer(synthesizer: Synthesizer, transcriber: Transcriber) -> None:
    assert len(ZH_SENTENCES) >= 12
    assert _corpus_error(synthesizer, transcriber, "zh-baker", "zh", ZH_SENTENCES) <= 0.10


def test_piper_english_wer(synthesizer: Synthesizer, transcriber: Transcriber) -> None:
    assert _corpus_error(synthesizer, transcriber, "en-joe", "en", EN_SENTENCES) <= 0.10


def test_espeak_english_wer(synthesizer: Synthesizer, transcriber: Transcriber) -> None:
    assert _corpus_error(synthesizer, transcriber, "espeak-en", "en", EN_SENTENCES) <= 0.15
