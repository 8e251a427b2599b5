"""A unit's first samples before the unit is done (voxserve.parts and the pipeline), with the
real baker-zh model: what a caller is given is always a prefix of the unit it gets at the end."""

from __future__ import annotations

import numpy as np
import pytest

from voxserve.audio.loudness import peak_db
from voxserve.models import ModelStore
from voxserve.parts import HOLD_S, Feed
from voxserve.pipeline import TARGET_RMS_DB, Synthesizer
from voxserve.settings import Settings
from voxserve.types import PCM, SynthesisRequest

LONG = (
    "前方三百米进入隧道，请打开车灯，保持车距，隧道内限速每小时六十公里，"
    "请不要随意变道，也不要在隧道内停车。"
)


@pytest.fixture(scope="module")
def synthesizer() -> Synthesizer:
    settings = Settings(engines="baker-zh,espeak")
    ModelStore(settings).build("baker-zh", progress=print)
    return Synthesizer.load(settings)


def _render(synthesizer: Synthesizer, **request: object) -> tuple[list[PCM], PCM, PCM]:
    """The parts given, the unit's samples, and the same unit rendered without parts."""
    task = synthesizer.plan(SynthesisRequest(**request)).units[0]  # type: ignore[arg-type]
    parts: list[PCM] = []
    unit = synthesizer.render_unit(task, parts.append)
    return parts, unit.pcm, synthesizer.render_unit(task).pcm


def test_the_first_unit_comes_in_parts_that_are_its_prefix(synthesizer: Synthesizer) -> None:
    parts, pcm, plain = _render(synthesizer, text=LONG, voice="zh-baker")
    given = np.concatenate(parts)
    assert len(parts) >= 1 and len(given) >= 0.4 * 24000
    assert np.array_equal(pcm[: len(given)], given)
    assert np.array_equal(pcm, plain)  # parts or not, the unit (and the cache) is the same


def test_parts_are_final_where_the_limiter_works(synthesizer: Synthesizer) -> None:
    parts, pcm, plain = _render(synthesizer, text=LONG, voice="zh-baker", volume=12.0)
    given = np.concatenate(parts)
    assert peak_db(given) == pytest.approx(peak_db(np.float32([0.99])), abs=0.01)
    assert np.array_equal(pcm[: len(given)], given) and np.array_equal(pcm, plain)


@pytest.mark.parametrize(
    "request_",
    [
        {"sample_rate": 16000},  # resampled as a whole
        {"text": "请打开 Bluetooth 设置，然后连接耳机，这一步需要大约半分钟。"},  # two engines
    ],
)
def test_units_that_need_the_whole_first_give_no_parts(
    synthesizer: Synthesizer, request_: dict[str, object]
) -> None:
    parts, pcm, plain = _render(synthesizer, **{"text": LONG, "voice": "zh-baker", **request_})
    assert parts == [] and np.array_equal(pcm, plain)


def test_one_gain_for_the_voice_keeps_its_level_near_the_target(
    synthesizer: Synthesizer,
) -> None:
    from voxserve.audio.loudness import active_rms_db

    _, pcm, _ = _render(synthesizer, text=LONG, voice="zh-baker")
    assert active_rms_db(pcm, 24000) == pytest.approx(TARGET_RMS_DB, abs=2.0)


def test_feed_holds_back_what_the_end_may_still_change() -> None:
    given: list[PCM] = []
    feed = Feed(given.append, gain_db=0.0, rate=24000)
    tone = (0.5 * np.sin(np.arange(24000) / 10)).astype(np.float32)
    feed(tone[:12000])
    assert sum(map(len, given)) == 12000 - round(HOLD_S * 24000)
    feed(tone[12000:])
    assert sum(map(len, given)) == 24000 - round(HOLD_S * 24000)
    assert np.allclose(np.concatenate(given)[500:], tone[500 : 24000 - 1200])  # faded in only
