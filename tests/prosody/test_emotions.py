import math

import pytest

from voxserve.errors import OutOfRangeError, UnknownEmotionError
from voxserve.prosody.emotions import EMOTIONS, RENDERED, combine, emotion_prosody
from voxserve.types import NEUTRAL_PROSODY

REQUIRED = {"neutral", "happy", "sad", "angry", "fear", "surprise", "disgust"}


def test_all_required_emotions_exist() -> None:
    assert set(EMOTIONS) >= REQUIRED


@pytest.mark.parametrize("name", sorted(REQUIRED - {"neutral"}))
def test_every_emotion_moves_every_dimension(name: str) -> None:
    p = EMOTIONS[name].prosody
    assert p.rate != 1.0
    assert p.pitch != 0.0
    assert p.pitch_range != 1.0
    assert p.gain_db != 0.0


def test_intensity_zero_is_neutral_and_two_doubles() -> None:
    assert emotion_prosody("angry", 0.0) == NEUTRAL_PROSODY
    one, two = emotion_prosody("angry", 1.0), emotion_prosody("angry", 2.0)
    assert two.pitch == pytest.approx(2 * one.pitch)
    assert two.gain_db == pytest.approx(2 * one.gain_db)
    assert math.log(two.rate) == pytest.approx(2 * math.log(one.rate))
    assert math.log(two.pitch_range) == pytest.approx(2 * math.log(one.pitch_range))


def test_neutral_is_free() -> None:
    assert emotion_prosody("neutral", 2.0).is_neutral


def test_unknown_emotion_lists_allowed() -> None:
    with pytest.raises(UnknownEmotionError) as info:
        emotion_prosody("bored")
    assert "happy" in info.value.message and info.value.param == "emotion"


@pytest.mark.parametrize("intensity", [-0.1, 2.5, float("nan"), float("inf")])
def test_intensity_out_of_range(intensity: float) -> None:
    with pytest.raises(OutOfRangeError):
        emotion_prosody("happy", intensity)


def test_combine_adds_request_controls() -> None:
    p = combine(emotion_prosody("sad"), speed=1.5, pitch=2.0, volume=-3.0)
    sad = EMOTIONS["sad"].prosody
    assert p.rate == pytest.approx(sad.rate * 1.5)
    assert p.pitch == pytest.approx(sad.pitch + 2.0)
    assert p.gain_db == pytest.approx(sad.gain_db - 3.0)
    assert p.pause_scale == pytest.approx(sad.pause_scale / 1.5)


@pytest.mark.parametrize("voice", list(RENDERED))
def test_what_voices_render_moves_the_way_of_the_preset(voice: str) -> None:
    for name, rendered in RENDERED[voice].items():
        preset = EMOTIONS[name].prosody
        assert (rendered.pitch_semitones > 0) == (preset.pitch > 0), name
        assert (rendered.pitch_range > 1) == (preset.pitch_range > 1), name
        assert (rendered.duration < 1) == (preset.rate > 1), name
