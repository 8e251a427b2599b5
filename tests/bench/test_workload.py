"""The emotional workload: which requests carry which emotion, and what the servers get."""

from __future__ import annotations

import itertools
from collections import Counter

import pytest

from baselines.engine import invalid_emotion
from loadgen.client import LoadSpec, payload
from loadgen.corpus import text_stream
from loadgen.workload import EMOTIONS, emotion_for, parse_list, request_stream
from voxserve.prosody import emotions


def test_the_six_emotions_are_voxserves_besides_neutral() -> None:
    assert set(EMOTIONS) == set(emotions.EMOTIONS) - {"neutral"}
    assert len(EMOTIONS) == 6


def test_neutral_workload_has_no_emotions() -> None:
    assert all(emotion_for("neutral", i) is None for i in range(100))


def test_emotional_workload_alternates_and_cycles_through_all_six() -> None:
    first = [emotion_for("emotional", i) for i in range(12)]
    assert first[0::2] == [None] * 6
    assert first[1::2] == list(EMOTIONS)
    counts = Counter(emotion_for("emotional", i) for i in range(1200))
    assert counts[None] == 600
    assert all(counts[e] == 100 for e in EMOTIONS)
    assert [emotion_for("emotional", i) for i in range(12)] == first  # deterministic
    with pytest.raises(ValueError):
        emotion_for("angry-only", 1)


def test_request_stream_keeps_the_corpus_order_and_offsets_the_emotions() -> None:
    pairs = list(itertools.islice(request_stream(7, "emotional", offset=3), 40))
    assert [t for t, _ in pairs] == list(itertools.islice(text_stream(7), 40))
    assert [e for _, e in pairs] == [emotion_for("emotional", i) for i in range(3, 43)]


def test_payload_carries_an_emotion_at_intensity_one_only_when_there_is_one() -> None:
    spec = LoadSpec("http://x", users=1, seconds=1.0)
    assert payload(spec, "你好") == {"text": "你好", "format": "wav"}
    assert payload(spec, "你好", "sad") == {
        "text": "你好",
        "format": "wav",
        "emotion": "sad",
        "intensity": 1.0,
    }
    streamed = payload(LoadSpec("http://x", 1, 1.0, stream=True), "你好", "fear")
    assert streamed["stream"] is True and streamed["emotion"] == "fear"


def test_baselines_accept_what_voxserve_accepts() -> None:
    assert invalid_emotion("neutral", 1.0) is None
    assert all(invalid_emotion(e, 1) is None for e in EMOTIONS)
    assert invalid_emotion("bored", 1.0)
    assert invalid_emotion("happy", 2.5)
    assert invalid_emotion("happy", True)
    assert invalid_emotion(None, 1.0)


def test_parse_list() -> None:
    assert parse_list("none, half,none", ("none", "half"), "--slowdown") == ("none", "half")
    with pytest.raises(ValueError, match="quarter"):
        parse_list("none,quarter", ("none", "half"), "--slowdown")
    with pytest.raises(ValueError):
        parse_list(" , ", ("none",), "--slowdown")
