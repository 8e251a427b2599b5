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
    offset, _, rest = baker_prosody.native_pitch(semitones, 1.0)
    assert abs(rest) <= 0.5
    assert np.sign(offset) == np.sign(semitones)


def test_what_the_voice_cannot_reach_is_resampled() -> None:
    _, _, rest = baker_prosody.native_pitch(9.0, 1.0)
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
    offset, ratio, rest = baker_prosody.native_pitch(prosody.pitch, prosody.pitch_range)
    assert np.sign(offset + rest) == np.sign(prosody.pitch)
    assert (ratio > 1.0) if prosody.pitch_range > 1 else (ratio < 1.0)
    assert abs(rest) <= 3.0  # at intensity 1, most of the pitch comes from the model
