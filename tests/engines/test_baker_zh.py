"""The baker-zh engine on its real weights: front end, synthesis, rate, robustness, round trip."""

from __future__ import annotations

import json

import numpy as np
import pytest

from tests.support.asr import Transcriber
from voxserve import timing
from voxserve.engines.baker_zh import SPEC, BakerFrontEnd, BakerZhEngine, jieba_segmenter
from voxserve.engines.registry import engine_spec
from voxserve.errors import EngineError
from voxserve.models import ModelStore
from voxserve.prosody.emotions import emotion_prosody
from voxserve.settings import Settings
from voxserve.types import Prosody, ProsodyControl, Voice

SENTENCE = "今天天气很好，我们去公园散步吧。"
SR = 24000


@pytest.fixture(scope="module")
def engine() -> BakerZhEngine:
    """The engine loaded through its spec (the model is built first if setup has not)."""
    settings = Settings()
    ModelStore(settings).build("baker-zh", progress=print)
    return SPEC.load(settings)


@pytest.fixture(scope="module")
def frontend(engine: BakerZhEngine) -> BakerFrontEnd:
    """The front end without a word segmenter (phones independent of jieba being installed)."""
    mapper = json.loads((ModelStore(Settings()).path("baker-zh") / "baker_mapper.json").read_text())
    return BakerFrontEnd(mapper, segmenter=None)


def _han_count(text: str) -> int:
    return sum("\u4e00" <= ch <= "\u9fff" for ch in text)


def _rms(pcm: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(pcm, dtype=np.float64))))


def test_spec_and_voice(engine: BakerZhEngine) -> None:
    assert engine_spec("baker-zh") is SPEC
    assert SPEC.name == "baker-zh"
    assert list(SPEC.languages) == ["zh"]
    assert SPEC.available(Settings())
    (voice,) = engine.voices()
    assert voice.id == "zh-baker"
    assert voice.engine == "baker-zh"
    assert voice.language == "zh"
    assert voice.sample_rate == SR
    assert voice.gender == "female"
    assert voice.emotion_rendering == "model"
    # Rate, pitch and range through the model's own inputs; loudness stays a gain.
    assert engine.native_controls == frozenset(
        {ProsodyControl.RATE, ProsodyControl.PITCH, ProsodyControl.PITCH_RANGE}
    )


@pytest.mark.parametrize(
    ("text", "phones"),
    [
        ("你好，世界。", "sil n i2 #0 h ao3 #3 sh iii4 #0 j ie4 sil"),
        ("我很好", "sil ^ uo2 #0 h en2 #0 h ao3 sil"),  # third-tone sandhi
        ("不要", "sil b u2 #0 ^ iao4 sil"),
        ("一起", "sil ^ i4 #0 q i3 sil"),
        ("第一", "sil d i4 #0 ^ i1 sil"),
        ("看一看", "sil k an4 #0 ^ i5 #0 k an4 sil"),  # between a repeated syllable
        ("好不好", "sil h ao3 #0 b u5 #0 h ao3 sil"),
        ("是不是", "sil sh iii4 #0 b u5 #0 sh iii4 sil"),
        ("导航、客服", "sil d ao3 #0 h ang2 #2 k e4 #0 f u2 sil"),
        ("哪儿", "sil n a3 er5 sil"),
        ("女儿", "sil n v3 #0 ^ er2 sil"),
        ("好吧", "sil h ao3 #0 b a5 sil"),  # neutral tone as 5
    ],
)
def test_front_end_phones(frontend: BakerFrontEnd, text: str, phones: str) -> None:
    assert " ".join(frontend.phones(text)) == phones


def test_front_end_skips_what_it_cannot_read(frontend: BakerFrontEnd) -> None:
    assert frontend.phones("Hello, ABC ★ 🙂") == ["sil", "sil"]
    assert " ".join(frontend.phones("，，你好！？")) == "sil n i2 #0 h ao3 sil"
    assert frontend.ids("") == [frontend.symbol_to_id["sil"]] * 2 + [frontend.eos_id]


def test_word_boundaries_become_prosodic_word_breaks(frontend: BakerFrontEnd) -> None:
    words = BakerFrontEnd(
        {"symbol_to_id": frontend.symbol_to_id, "pinyin_dict": frontend.pinyin_dict},
        segmenter=lambda text: [text[:2], text[2:]],
    )
    assert " ".join(words.phones("天气很好，哪儿玩")) == (
        "sil t ian1 #0 q i4 #1 h en2 #0 h ao3 #3 n a3 er5 #1 ^ uan2 sil"
    )


@pytest.mark.parametrize(
    ("text", "tones"),
    [
        ("展览馆", "2 2 3"),  # one word of three third tones
        ("纸老虎", "3 2 3"),  # 纸 | 老虎
        ("我想买五把小雨伞", "3 2 3 2 3 3 2 3"),  # 我想买 | 五把 | 小 雨伞, not the whole clause
        ("你好", "2 3"),
        ("好喜欢", "2 3 5"),  # 好 | 喜欢 (欢 in the neutral tone)
    ],
)
def test_third_tones_change_by_prosodic_word(
    frontend: BakerFrontEnd, text: str, tones: str
) -> None:
    with_words = BakerFrontEnd(
        {"symbol_to_id": frontend.symbol_to_id, "pinyin_dict": frontend.pinyin_dict},
        segmenter=jieba_segmenter(),
    )
    phones = with_words.phones(text)
    assert " ".join(p[-1] for p in phones if p[-1].isdigit() and not p.startswith("#")) == tones


@pytest.mark.parametrize(
    ("text", "phones"),
    [
        ("一会儿", "^ i2 #0 h uei4 er5"),
        ("女儿", "n v3 #0 ^ er2"),  # 儿 its own syllable in these words
        ("婴儿", "^ ing1 #0 ^ er2"),
        ("小孩儿", "x iao3 #0 h ai2 er5"),
    ],
)
def test_erhua_by_word_with_its_exceptions(frontend: BakerFrontEnd, text: str, phones: str) -> None:
    with_words = BakerFrontEnd(
        {"symbol_to_id": frontend.symbol_to_id, "pinyin_dict": frontend.pinyin_dict},
        segmenter=jieba_segmenter(),
    )
    assert " ".join(with_words.phones(text)[1:-1]) == phones


def test_jieba_segmenter_when_installed() -> None:
    segmenter = jieba_segmenter()
    if segmenter is None:
        pytest.skip("jieba is not installed: no word breaks")
    assert list(segmenter("人工智能技术")) == ["人工智能", "技术"]


def test_synthesis_is_float32_speech_of_plausible_duration(engine: BakerZhEngine) -> None:
    pcm = engine.synthesize(SENTENCE, engine.voice, Prosody())
    assert pcm.dtype == np.float32
    assert pcm.ndim == 1
    assert np.all(np.isfinite(pcm))
    assert float(np.max(np.abs(pcm))) <= 1.0
    assert _rms(pcm) > 0.02
    per_char = len(pcm) / SR / _han_count(SENTENCE)
    assert 0.18 <= per_char <= 0.4, per_char
    # Trimmed: sound starts and ends within 0.1 s of the edges.
    loud = np.flatnonzero(np.abs(pcm) > 0.01)
    assert loud[0] < 0.1 * SR
    assert len(pcm) - loud[-1] < 0.1 * SR


def test_synthesis_is_deterministic(engine: BakerZhEngine) -> None:
    first = engine.synthesize("语音合成", engine.voice, Prosody())
    assert np.array_equal(first, engine.synthesize("语音合成", engine.voice, Prosody()))


def test_faster_rate_is_shorter(engine: BakerZhEngine) -> None:
    normal = len(engine.synthesize(SENTENCE, engine.voice, Prosody(rate=1.0)))
    fast = len(engine.synthesize(SENTENCE, engine.voice, Prosody(rate=1.5)))
    slow = len(engine.synthesize(SENTENCE, engine.voice, Prosody(rate=0.75)))
    assert 0.55 < fast / normal < 0.8
    assert 1.15 < slow / normal < 1.5


def test_unmappable_characters_do_not_crash(engine: BakerZhEngine) -> None:
    pcm = engine.synthesize("Hello你好ABC★\U0002ebe0世界🙂", engine.voice, Prosody())
    assert _rms(pcm) > 0.02
    silent = engine.synthesize("ABC ★", engine.voice, Prosody())
    assert silent.dtype == np.float32
    assert len(silent) == 0


def test_unknown_voice_is_an_engine_error(engine: BakerZhEngine) -> None:
    other = Voice(id="en-joe", engine="piper", language="en", name="Joe", sample_rate=22050)
    with pytest.raises(EngineError):
        engine.synthesize("你好", other, Prosody())


def test_engine_threads_setting_is_honoured() -> None:
    settings = Settings(engine_threads=2)
    loaded = SPEC.load(settings)
    assert len(loaded.synthesize("你好", loaded.voice, Prosody())) > 0


@pytest.mark.roundtrip
def test_whisper_hears_the_text(engine: BakerZhEngine, transcriber: Transcriber) -> None:
    text = "我们希望合成的声音自然流畅，富有情感，让用户听起来更加舒服。"
    pcm = engine.synthesize(text, engine.voice, Prosody())
    assert transcriber.error_rate(pcm, SR, text, "zh") <= 0.15


def test_timed_synthesis_marks_every_character_in_order(engine: BakerZhEngine) -> None:
    text = "我们去哪儿玩？ABC公园吧。"
    timed = engine.synthesize_timed(text)
    assert timed.measured and len(timed.marks) == len(timing.items(text))
    starts, ends = timed.marks[:, 0], timed.marks[:, 1]
    assert (np.diff(starts) >= 0).all() and (ends >= starts).all()
    assert ends.max() <= len(timed.pcm)
    chars = timing.items(text)
    spans = dict(zip(chars, timed.marks.tolist(), strict=True))
    assert spans["儿"][1] > spans["儿"][0]  # folded into 哪 (erhua), still heard
    assert spans["ABC"][0] == spans["ABC"][1]  # Latin letters are not spoken by this voice
    assert np.array_equal(timed.pcm, engine.synthesize(text))


def _share(engine: BakerZhEngine, text: str, prosody: Prosody, chars: slice) -> float:
    """The share of the sentence's spoken time that the characters ``chars`` take."""
    marks = engine.synthesize_timed(text, engine.voice, prosody).marks
    spans = marks[chars, 1] - marks[chars, 0]
    return float(spans.sum() / (marks[-1, 1] - marks[0, 0]))


def test_an_emotion_lengthens_its_emphasis_words_and_slow_speech_its_phrase_ends(
    engine: BakerZhEngine,
) -> None:
    text = "我非常喜欢这本书"
    words, end = slice(1, 3), slice(7, 8)  # 非常, 书
    neutral, happy = Prosody(), emotion_prosody("happy")
    assert _share(engine, text, happy, words) > 1.1 * _share(engine, text, neutral, words)
    slow = Prosody(rate=0.8)
    assert _share(engine, text, slow, end) > 1.05 * _share(engine, text, neutral, end)
