"""The baker-zh prosody plan: calibrated semitones and ranges to model inputs (no model run)."""

from __future__ import annotations

import numpy as np
import pytest

from voxserve.engines import baker_prosody
from voxserve.engines.baker_prosody import Shape
from voxserve.prosody.emotions import EMOTIONS, emotion_prosody
from voxserve.types import NEUTRAL_PROSODY, Prosody


def test_neutral_speech_is_the_model_as_it_is() -> None:
    plan = baker_prosody.plan(NEUTRAL_PROSODY, Shape(12))
    assert not plan.f0_offsets.any()
    assert (plan.f0_ratio, plan.speed, plan.resample) == (1.0, 1.0, 1.0)


@pytest.mark.parametrize("semitones", [-4.0, -2.0, 1.0, 2.5])
def test_the_clean_range_needs_no_resampling(semitones: float) -> None:
    pitch = baker_prosody.native_pitch(semitones, 1.0)
    assert abs(pitch.rest) <= 0.6  # a little, where more offset would narrow the spread
    assert np.sign(pitch.offset) == np.sign(semitones)


def test_what_the_voice_cannot_reach_is_resampled() -> None:
    rest = baker_prosody.native_pitch(9.0, 1.0).rest
    assert rest > 5.0
    plan = baker_prosody.plan(Prosody(pitch=9.0), Shape(12))
    assert plan.resample == pytest.approx(2 ** (rest / 12))
    assert plan.speed == pytest.approx(plan.resample)  # slower by k, then k times shorter


def test_rate_and_resampling_combine_in_the_durations() -> None:
    plan = baker_prosody.plan(Prosody(rate=1.25, pitch=9.0), Shape(12))
    assert plan.speed == pytest.approx(plan.resample / 1.25)


@pytest.mark.parametrize("emotion", [e for e in EMOTIONS if e != "neutral"])
def test_every_preset_moves_the_inputs_its_way(emotion: str) -> None:
    prosody = emotion_prosody(emotion)
    pitch = baker_prosody.native_pitch(prosody.pitch, prosody.pitch_range)
    assert np.sign(pitch.offset + pitch.rest) == np.sign(prosody.pitch)
    assert pitch.ratio <= baker_prosody.MAX_RATIO
    if prosody.pitch_range < 1:
        assert pitch.ratio < 1.0
    assert abs(pitch.rest) <= 3.0  # at intensity 1, most of the pitch comes from the model
    plan = baker_prosody.plan(prosody, Shape(30, phrases=[range(1, 14), range(15, 29)]))
    falls = plan.f0_offsets[1] > plan.f0_offsets[13]
    assert falls if prosody.pitch_range > max(1.0, pitch.spread) else not falls


def test_a_wider_range_than_the_ratio_gives_falls_across_each_phrase() -> None:
    phrases = [range(1, 9), range(10, 12), range(13, 20)]
    plan = baker_prosody.plan(Prosody(pitch_range=1.6), Shape(21, phrases=phrases))
    offsets = plan.f0_offsets
    assert plan.f0_ratio <= baker_prosody.MAX_RATIO
    for phrase in (phrases[0], phrases[2]):
        assert np.all(np.diff(offsets[phrase.start : phrase.stop]) < 0)
        assert offsets[phrase.start] == pytest.approx(-offsets[phrase.stop - 1], abs=1e-6)
    assert not offsets[10:12].any()  # too short to fall
    assert offsets[0] == offsets[9] == offsets[20] == 0.0  # the pauses keep the voice's own
    alone = baker_prosody.plan(Prosody(pitch=4.0), Shape(21, phrases=phrases))
    assert np.all(alone.f0_offsets == alone.f0_offsets[0])  # a pitch alone: no falls


@pytest.mark.parametrize("pitch", [-4.0, 4.5])
def test_falls_stay_above_the_creaky_floor_and_keep_a_raised_voice_raised(pitch: float) -> None:
    phrase = range(1, 29)
    plan = baker_prosody.plan(Prosody(pitch=pitch, pitch_range=1.6), Shape(30, phrases=[phrase]))
    offset = baker_prosody.native_pitch(pitch, 1.6).offset
    fall = plan.f0_offsets[phrase.start : phrase.stop]
    assert np.all(np.diff(fall) < 0)
    assert fall.min() >= baker_prosody._FLOOR - 1e-6
    assert fall.max() <= max(offset, baker_prosody._SATURATION) + 1e-6
    assert fall.mean() >= offset - baker_prosody.MAX_MEAN_DROP - 1e-6


def test_an_exclamation_is_raised_and_peaks_on_its_focus() -> None:
    phrases, focus = [range(1, 19)], range(4, 7)
    plan = baker_prosody.plan(NEUTRAL_PROSODY, Shape(20, "exclamation", phrases, emphasis=[focus]))
    offsets = plan.f0_offsets
    assert offsets.min() >= baker_prosody.EXCLAMATION_RAISE - 1e-6
    assert offsets.argmax() in focus
    assert np.all(np.diff(offsets[focus.stop :]) <= 0)  # falls back after the peak
    assert plan.duration_scales[focus.start] > plan.duration_scales[1]
    unfocused = baker_prosody.plan(NEUTRAL_PROSODY, Shape(20, "exclamation", phrases))
    assert unfocused.f0_offsets.argmax() == 1  # no emphasis word: the first word peaks


def test_emphasis_needs_an_emotion_or_an_exclamation() -> None:
    shape = Shape(20, phrases=[range(1, 19)], emphasis=[range(4, 7)])
    plain = baker_prosody.plan(NEUTRAL_PROSODY, shape)
    assert not plain.f0_offsets.any()
    assert np.all(plain.duration_scales == 1.0)
    sad = baker_prosody.plan(emotion_prosody("sad"), shape)  # narrower: no emphasis
    assert sad.f0_offsets[5] == sad.f0_offsets[1]
    happy = baker_prosody.plan(emotion_prosody("happy"), shape)
    assert happy.f0_offsets[5] > happy.f0_offsets[3]
    assert happy.duration_scales[5] > happy.duration_scales[3]


@pytest.mark.parametrize("rate", [0.5, 0.8])
def test_slow_speech_lengthens_phrase_ends_more_than_the_rest(rate: float) -> None:
    finals = [range(8, 10), range(17, 19)]
    plan = baker_prosody.plan(Prosody(rate=rate), Shape(20, phrase_finals=finals))
    scales = plan.duration_scales
    assert scales[8] == pytest.approx(scales[3] / np.sqrt(rate), rel=1e-5)
    assert scales.mean() == pytest.approx(1.0)  # the rate still holds on average
    assert plan.speed == pytest.approx(1 / rate)


@pytest.mark.parametrize("rate", [1.0, 1.08, 2.0])
def test_neutral_and_fast_speech_keep_the_models_phrase_ends(rate: float) -> None:
    plan = baker_prosody.plan(Prosody(rate=rate), Shape(20, phrase_finals=[range(8, 10)]))
    assert np.all(plan.duration_scales == 1.0)
