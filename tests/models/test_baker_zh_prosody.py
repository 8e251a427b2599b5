"""The baker-zh build's per-phone prosody inputs, through the real model (recipe version 2 on)."""

from __future__ import annotations

import numpy as np
import pytest

from tests.support.acoustics import measure
from voxserve.engines.baker_zh import SPEC, BakerZhEngine, PhoneProsody
from voxserve.errors import EngineError
from voxserve.models import ModelStore
from voxserve.models import baker_zh as recipe
from voxserve.models.manifest import Manifest
from voxserve.settings import Settings

SENTENCE = "今天天气很好，我们去公园散步吧。"
RATE = 24000


@pytest.fixture(scope="module")
def engine() -> BakerZhEngine:
    settings = Settings()
    ModelStore(settings).build("baker-zh", progress=print)
    return SPEC.load(settings)


def _speak(engine: BakerZhEngine, **change: float) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[type-arg]
    """The audio and the model's durations (frames per phone) with every phone changed alike."""
    ids = engine.frontend.ids(SENTENCE)
    neutral = PhoneProsody.neutral(len(ids))
    phones = PhoneProsody(
        neutral.f0_offsets + change.get("f0", 0.0),
        neutral.energy_offsets + change.get("energy", 0.0),
        neutral.duration_scales * change.get("duration", 1.0),
    )
    mel, frames = engine.predict(ids, phones=phones)
    return engine.vocode(mel), frames


def test_the_manifest_names_the_recipe_and_its_inputs() -> None:
    manifest = Manifest.read(ModelStore(Settings()).path("baker-zh"))
    assert manifest.recipe_version == recipe.RECIPE_VERSION >= 2
    assert manifest.extra["prosody_inputs"] == list(recipe.PROSODY_INPUTS)


def test_neutral_inputs_are_the_default(engine: BakerZhEngine) -> None:
    ids = engine.frontend.ids(SENTENCE)
    default, frames = engine.predict(ids)
    explicit, explicit_frames = engine.predict(ids, phones=PhoneProsody.neutral(len(ids)))
    assert np.array_equal(default, explicit) and np.array_equal(frames, explicit_frames)


def test_an_f0_offset_moves_the_pitch_both_ways(engine: BakerZhEngine) -> None:
    base = measure(_speak(engine)[0], RATE).f0_mean
    up = measure(_speak(engine, f0=1.0)[0], RATE).f0_mean - base
    down = measure(_speak(engine, f0=-1.0)[0], RATE).f0_mean - base
    assert 1.0 < up < 4.5, up  # about +2.5 semitones measured on this voice
    assert -4.5 < down < -1.0, down


def test_duration_scales_are_rendered_and_reported(engine: BakerZhEngine) -> None:
    pcm, _ = _speak(engine)
    slow_pcm, slow_frames = _speak(engine, duration=1.5)
    assert 1.35 < len(slow_pcm) / len(pcm) < 1.65
    # The durations the model outputs are the rendered ones: hop 300 samples per frame.
    assert abs(int(slow_frames.sum()) * 300 - len(slow_pcm)) <= 300 * 2


def test_prosody_of_the_wrong_length_is_refused(engine: BakerZhEngine) -> None:
    ids = engine.frontend.ids(SENTENCE)
    with pytest.raises(EngineError, match="values per input"):
        engine.predict(ids, phones=PhoneProsody.neutral(len(ids) - 1))
