"""A job's timestamps: its tokens placed on its audio unit by unit, kept for its captions."""

from __future__ import annotations

import numpy as np

from voxserve import timing
from voxserve.pipeline import SynthesisPlan
from voxserve.text.tokens import Tokenizer
from voxserve.timestamps import Sentence, TimedToken, Timeline, pack_timings
from voxserve.types import SynthesisRequest


class JobTimeline:
    """A job's tokens and sentences, gathered unit by unit as its file is written."""

    def __init__(self, timeline: Timeline) -> None:
        self.timeline = timeline
        self.tokens: list[TimedToken] = []
        self.sentences: list[Sentence] = []
        self.samples = 0

    @classmethod
    def read(
        cls, tokenizer: Tokenizer, request: SynthesisRequest, plan: SynthesisPlan
    ) -> JobTimeline:
        """The timeline of ``request``'s tokens (CPU work: call it in a thread)."""
        if request.ssml:
            tokens = tokenizer.ssml_tokens(request.text, request.lexicon)
        else:
            tokens = tokenizer.tokens(request.text, request.lexicon)
        return cls(Timeline(plan, tokens, request.text))

    def add(self, marks: timing.Marks | None, samples: int) -> None:
        """The next unit: its marks (None: unknown, estimated) and its length in samples."""
        done, sentence = self.timeline.add_marks(marks, samples)
        self.tokens += done
        self.sentences += [sentence] if sentence else []
        self.samples += samples

    def packed(self) -> bytes:
        """Everything gathered, as the store keeps it."""
        tokens = self.tokens + self.timeline.rest()
        duration_ms = round(self.samples * 1000 / self.timeline.rate)
        return pack_timings(tokens, self.sentences, duration_ms)


def packed_marks(marks: timing.Marks) -> bytes:
    """A unit's marks as the store keeps them."""
    return np.ascontiguousarray(marks, dtype="<i8").tobytes()


def unpacked_marks(data: bytes | None) -> timing.Marks | None:
    """The inverse of :func:`packed_marks`; None stays None (a unit saved before marks were
    kept: the timeline estimates its marks)."""
    if data is None:
        return None
    return np.frombuffer(data, dtype="<i8").reshape(-1, 2).astype(np.int64)
