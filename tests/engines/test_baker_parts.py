"""baker-zh in parts: chunked vocoding and the first samples handed over before the rest, with
the real model. The joins inside a sentence must be the whole-sentence samples."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pytest

from voxserve.engines.baker_vocoding import VOCODER_CONTEXT, spoken_frames
from voxserve.engines.baker_zh import SPEC, VOICE, BakerZhEngine
from voxserve.models import ModelStore
from voxserve.models import baker_zh as recipe
from voxserve.settings import Settings
from voxserve.types import NEUTRAL_PROSODY, PCM, Prosody

LONG = "今天全市晴转多云，最高气温二十八度，最低气温十九度，空气质量良，适宜户外活动。"
HOP = recipe.HOP_LENGTH


@pytest.fixture(scope="module")
def engine() -> BakerZhEngine:
    settings = Settings()
    ModelStore(settings).build("baker-zh", progress=print)
    return SPEC.load(settings)


@pytest.fixture(scope="module")
def mel(engine: BakerZhEngine) -> npt.NDArray[np.float32]:
    mel, _ = engine.predict(engine.frontend.ids(LONG))
    return mel


@pytest.mark.parametrize("sizes", [(40,), (40, 120), (1, 7, 13, 2), (25,) * 30, (10_000,)])
def test_parts_join_into_the_whole_sentence_samples(
    engine: BakerZhEngine, mel: npt.NDArray[np.float32], sizes: tuple[int, ...]
) -> None:
    whole = engine.vocode(mel)
    parts = list(engine.vocode_chunks(mel, sizes))
    joined = np.concatenate(parts)
    assert len(joined) == len(whole) == mel.shape[1] * HOP
    # Every join, looked at on its own: the samples either side of it are the whole's.
    edge = 0
    for part in parts[:-1]:
        edge += len(part)
        window = slice(max(0, edge - 2 * HOP), edge + 2 * HOP)
        assert np.max(np.abs(joined[window] - whole[window])) <= 1e-6, f"join at {edge}"
    assert np.max(np.abs(joined - whole)) <= 1e-6


def test_less_context_than_the_vocoder_sees_would_show_at_the_join(
    engine: BakerZhEngine, mel: npt.NDArray[np.float32]
) -> None:
    """The tolerance above means something: a part vocoded with too little context differs."""
    whole = engine.vocode(mel)
    start, end, context = 100, 200, 4
    part = engine.vocode(mel[:, start - context : end + context])[context * HOP :]
    assert np.max(np.abs(part[: (end - start) * HOP] - whole[start * HOP : end * HOP])) > 1e-3
    assert VOCODER_CONTEXT >= 18  # the reach measured by changing one frame


def _in_parts(engine: BakerZhEngine, text: str, prosody: Prosody) -> tuple[list[PCM], PCM]:
    parts: list[PCM] = []
    result = engine.synthesize_parts(text, VOICE, prosody, parts.append)
    return parts, result.pcm


def test_the_parts_are_a_prefix_of_the_same_samples(engine: BakerZhEngine) -> None:
    parts, pcm = _in_parts(engine, LONG, NEUTRAL_PROSODY)
    given = np.concatenate(parts)
    assert len(parts) == 2 and len(given) >= recipe.SAMPLE_RATE // 2
    assert np.array_equal(pcm[: len(given)], given)
    timed = engine.synthesize_timed(LONG, VOICE, NEUTRAL_PROSODY)
    assert np.array_equal(pcm, timed.pcm)


def test_a_short_sentence_gives_what_it_can(engine: BakerZhEngine) -> None:
    parts, pcm = _in_parts(engine, "好的。", NEUTRAL_PROSODY)
    given = np.concatenate(parts) if parts else np.zeros(0, np.float32)
    assert np.array_equal(pcm[: len(given)], given)
    assert np.array_equal(pcm, engine.synthesize("好的。", VOICE))


def test_pitch_the_model_cannot_reach_gives_no_parts(engine: BakerZhEngine) -> None:
    """Played faster to reach it: the whole sentence is resampled, so nothing is final early."""
    parts, pcm = _in_parts(engine, LONG, Prosody(pitch=9.0))
    assert parts == [] and len(pcm) > 0


def test_only_the_silence_trimming_cuts_is_left_unvocoded() -> None:
    phones = ["sil", "n", "i3", "h", "ao3", "sil"]
    durations = np.array([20, 5, 10, 5, 10, 30, 12], dtype=np.int32)  # the last: end of input
    first, last = spoken_frames(phones, durations)
    assert first == 20 - 8 and last == 92 - 42 + 24
    assert spoken_frames(["n", "i3"], np.array([5, 5, 1], dtype=np.int32)) == (0, 11)
