"""The baker-zh prosody plan: calibrated semitones and ranges to model inputs (no model run)."""

from __future__ import annotations

import numpy as np
import pytest

from voxserve.engines import baker_prosody
from voxserve.prosody.emotions import EMOTIONS, emotion_prosody
from voxserve.types import NEUTRAL_PROSODY, Prosody


def test_neutral_speech_is_the_model_as_it_is() -> None:
    plan = baker_prosody.plan(NEUTRAL_PROSODY, 12, question=False)
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
    plan = baker_prosody.plan(Prosody(pitch=9.0), 12, question=False)
    assert plan.resample == pytest.approx(2 ** (rest / 12))
    assert plan.speed == pytest.approx(plan.resample)  # slower by k, then k times shorter


def test_rate_and_resampling_combine_in_the_durations() -> None:
    plan = baker_prosody.plan(Prosody(rate=1.25, pitch=9.0), 12, question=False)
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
    plan = baker_prosody.plan(prosody, 30, question=False, phrases=[range(1, 14), range(15, 29)])
    falls = plan.f0_offsets[1] > plan.f0_offsets[13]
    assert falls if prosody.pitch_range > max(1.0, pitch.spread) else not falls


def test_a_wider_range_than_the_ratio_gives_falls_across_each_phrase() -> None:
    phrases = [range(1, 9), range(10, 12), range(13, 20)]
    plan = baker_prosody.plan(Prosody(pitch_range=1.6), 21, question=False, phrases=phrases)
    offsets = plan.f0_offsets
    assert plan.f0_ratio <= baker_prosody.MAX_RATIO
    for phrase in (phrases[0], phrases[2]):
        assert np.all(np.diff(offsets[phrase.start : phrase.stop]) < 0)
        assert offsets[phrase.start] == pytest.approx(-offsets[phrase.stop - 1], abs=1e-6)
    assert not offsets[10:12].any()  # too short to fall
    assert offsets[0] == offsets[9] == offsets[20] == 0.0  # the pauses keep the voice's own
    alone = baker_prosody.plan(Prosody(pitch=4.0), 21, question=False, phrases=phrases)
    assert np.all(alone.f0_offsets == alone.f0_offsets[0])  # a pitch alone: no falls


@pytest.mark.parametrize("pitch", [-4.0, 4.5])
def test_falls_stay_above_the_creaky_floor_and_keep_a_raised_voice_raised(pitch: float) -> None:
    phrase = range(1, 29)
    plan = baker_prosody.plan(
        Prosody(pitch=pitch, pitch_range=1.6), 30, question=False, phrases=[phrase]
    )
    offset = baker_prosody.native_pitch(pitch, 1.6).offset
    fall = plan.f0_offsets[phrase.start : phrase.stop]
    assert np.all(np.diff(fall) < 0)
    assert fall.min() >= baker_prosody._FLOOR - 1e-6
    assert fall.max() <= max(offset, baker_prosody._SATURATION) + 1e-6
    assert fall.mean() >= offset - baker_prosody.MAX_MEAN_DROP - 1e-6
