"""A request's own speed, pitch and volume work on every engine (measured on the audio)."""

from __future__ import annotations

import pytest

from tests.support.acoustics import Acoustics, measure
from voxserve.pipeline import Synthesizer
from voxserve.types import SynthesisRequest

TEXTS = {
    "zh-baker": "今天天气真好，我们一起去公园散步吧。你觉得怎么样？",
    "en-joe": "The weather is lovely today, so let us take a walk in the park.",
    "espeak-en": "The weather is lovely today, so let us take a walk in the park.",
}


def _heard(synthesizer: Synthesizer, voice: str, **controls: float) -> Acoustics:
    request = SynthesisRequest(text=TEXTS[voice], voice=voice, **controls)  # type: ignore[arg-type]
    result = synthesizer.synthesize(request)
    return measure(result.pcm, result.sample_rate)


@pytest.mark.parametrize("voice", list(TEXTS))
def test_speed_pitch_volume(synthesizer: Synthesizer, voice: str) -> None:
    def heard(**controls: float) -> Acoustics:
        return _heard(synthesizer, voice, **controls)

    base = heard()
    fast, slow = heard(speed=2.0), heard(speed=0.5)
    assert fast.duration / base.duration == pytest.approx(0.5, rel=0.2)
    assert slow.duration / base.duration == pytest.approx(2.0, rel=0.2)
    assert heard(pitch=4.0).f0_mean - base.f0_mean == pytest.approx(4.0, abs=1.5)
    assert heard(pitch=-4.0).f0_mean - base.f0_mean == pytest.approx(-4.0, abs=1.5)
    assert heard(volume=-6.0).loudness - base.loudness == pytest.approx(-6.0, abs=0.5)
