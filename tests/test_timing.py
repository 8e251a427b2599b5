"""Marks (voxserve.timing) and the timeline that places tokens on a request's audio."""

from __future__ import annotations

import numpy as np

from voxserve import timing
from voxserve.pipeline import RunTask, SynthesisPlan, UnitTask
from voxserve.text.tokens import Token
from voxserve.timestamps import Timeline, pack_timings, stored_tokens, unpack_timings
from voxserve.timing import Timed, WordStart
from voxserve.types import NEUTRAL_PROSODY, Voice

VOICE = Voice("v", "fake", "zh", "fake", 1000)


def test_items_are_han_characters_and_words() -> None:
    assert timing.items("你好，iPhone 15 isn't 好。") == ["你", "好", "iPhone", "15", "isn't", "好"]
    assert timing.items("，。！") == []


def test_estimate_shares_the_voiced_span_by_weight() -> None:
    pcm = np.zeros(1000, dtype=np.float32)
    pcm[100:900] = 0.5
    marks = timing.estimate("你好", pcm)
    assert marks.tolist() == [[100, 500], [500, 900]]
    english = timing.estimate("a wonderful", pcm)
    assert english[0, 0] == 100 and english[1, 1] == 900
    assert english[1, 1] - english[1, 0] > english[0, 1] - english[0, 0]


def test_word_starts_cover_the_items_of_each_word() -> None:
    pcm = np.full(1000, 0.5, dtype=np.float32)
    pcm[480:600] = 0.0  # the pause after the first word
    starts = [WordStart(0, 2, 0), WordStart(3, 5, 600)]
    marks = timing.from_word_starts("你好 世界", starts, pcm)
    assert marks.tolist() == [[0, 240], [240, 480], [600, 800], [800, 1000]]


def test_rescale_and_shift_stay_inside_the_audio() -> None:
    marks = np.asarray([[0, 100], [100, 300]], dtype=np.int64)
    assert timing.rescale(marks, 0.5, 150).tolist() == [[0, 50], [50, 150]]
    assert timing.shift(marks, -50, 200).tolist() == [[0, 50], [50, 200]]


def test_timed_packs_and_unpacks() -> None:
    timed = Timed(
        np.linspace(-1, 1, 7, dtype=np.float32), np.asarray([[1, 2], [3, 4]]), measured=False
    )
    back = Timed.unpack(timed.pack())
    assert back.pcm.tolist() == timed.pcm.tolist() and back.marks.tolist() == [[1, 2], [3, 4]]
    assert back.measured is False


def _plan(*units: tuple[str, float]) -> SynthesisPlan:
    tasks = tuple(
        UnitTask(i, text, (RunTask(text, VOICE),), NEUTRAL_PROSODY, pause, 1000)
        for i, (text, pause) in enumerate(units)
    )
    return SynthesisPlan(VOICE, 1000, tasks)


def _token(text: str, start: int, spoken: str | None = None) -> Token:
    return Token(text, start, start + len(text), spoken or text, "zh")


def test_timeline_places_tokens_unit_by_unit_with_sentences() -> None:
    source = "你好。36元！"
    plan = _plan(("你好。", 0.1), ("三十六元！", 0.0))
    tokens = [_token("你", 0), _token("好", 1), _token("36", 3, "三十六"), _token("元", 5)]
    timeline = Timeline(plan, tokens, source)
    first, sentence = timeline.add(Timed(np.zeros(300), np.asarray([[10, 100], [100, 200]])))
    assert [(t.text, t.start_ms, t.end_ms) for t in first] == [("你", 10, 100), ("好", 100, 200)]
    assert sentence is not None and sentence.text == "你好" and sentence.end_ms == 200
    marks = np.asarray([[0, 50], [50, 100], [100, 150], [150, 250]])
    second, sentence = timeline.add(Timed(np.zeros(300), marks))
    assert [(t.text, t.start_ms, t.end_ms) for t in second] == [("36", 300, 450), ("元", 450, 550)]
    assert sentence is not None and (sentence.start_ms, sentence.orig_start) == (300, 3)
    assert timeline.rest() == []


def test_a_disagreeing_front_end_still_gives_every_token_a_time() -> None:
    plan = _plan(("你好吗", 0.0))
    tokens = [_token("你", 0), _token("好", 1)]  # one item fewer than the unit speaks
    timeline = Timeline(plan, tokens, "你好吗")
    done, _ = timeline.add(Timed(np.zeros(300), np.asarray([[0, 100], [100, 200], [200, 300]])))
    placed = done + timeline.rest()
    assert [t.text for t in placed] == ["你", "好"]
    assert [t.start_ms for t in placed] == sorted(t.start_ms for t in placed)


def test_stored_timings_round_trip() -> None:
    plan = _plan(("你好", 0.0))
    timeline = Timeline(plan, [_token("你", 0), _token("好", 1)], "你好")
    tokens, sentence = timeline.add(Timed(np.zeros(300), np.asarray([[0, 100], [100, 200]])))
    assert sentence is not None
    timings = unpack_timings(pack_timings(tokens, [sentence], 300))
    assert timings["duration_ms"] == 300 and timings["sentences"][0]["text"] == "你好"
    assert [(t.text, t.start_ms) for t in stored_tokens(timings)] == [("你", 0), ("好", 100)]
