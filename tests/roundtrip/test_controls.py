"""A request's own speed, pitch and volume work on every engine (measured on the audio)."""

from __future__ import annotations

import pytest

from tests.support.acoustics import Acoustics, Audio, measure_renditions
from voxserve.pipeline import Synthesizer
from voxserve.types import SynthesisRequest

TEXTS = {
    "zh-baker": "今天天气真好，我们一起去公园散步吧。你觉得怎么样？",
    "en-joe": "The weather is lovely today, so let us take a walk in the park.",
    "espeak-en": "The weather is lovely today, so let us take a walk in the park.",
}


STOCHASTIC_RENDITIONS = 5
"""Renditions pooled per measurement for an engine that samples its noise and durations (Piper):
one rendition's mean F0 varies by about 0.3 semitones, pooled five by about 0.15."""


def _rendition(synthesizer: Synthesizer, voice: str, **controls: float) -> Audio:
    request = SynthesisRequest(text=TEXTS[voice], voice=voice, **controls)  # type: ignore[arg-type]
    result = synthesizer.synthesize(request)
    return result.pcm, result.sample_rate


def _renditions_needed(synthesizer: Synthesizer, voice: str) -> int:
    first, second = _rendition(synthesizer, voice), _rendition(synthesizer, voice)
    deterministic = first[0].shape == second[0].shape and bool((first[0] == second[0]).all())
    return 1 if deterministic else STOCHASTIC_RENDITIONS


@pytest.mark.parametrize("voice", list(TEXTS))
def test_speed_pitch_volume(synthesizer: Synthesizer, voice: str) -> None:
    renditions = _renditions_needed(synthesizer, voice)

    def heard(**controls: float) -> Acoustics:
        audio = [_rendition(synthesizer, voice, **controls) for _ in range(renditions)]
        return measure_renditions(audio)

    base = heard()
    fast, slow = heard(speed=2.0), heard(speed=0.5)
    assert fast.duration / base.duration == pytest.approx(0.5, rel=0.2)
    assert slow.duration / base.duration == pytest.approx(2.0, rel=0.2)
    assert heard(pitch=4.0).f0_mean - base.f0_mean == pytest.approx(4.0, abs=1.5)
    assert heard(pitch=-4.0).f0_mean - base.f0_mean == pytest.approx(-4.0, abs=1.5)
    assert heard(volume=-6.0).loudness - base.loudness == pytest.approx(-6.0, abs=0.5)
