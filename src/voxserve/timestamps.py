"""Tokens on the audio timeline: what the front end read, placed where the engines spoke it.

The front end's tokens (``voxserve.text.tokens``) and the marks of the rendered units
(``voxserve.timing``) name the same items in the same order: each token covers as many items
as its spoken form holds (one per Han character, one per word). A :class:`Timeline` takes the
units of one request in order and hands back each token, and each unit as a sentence entry, with
``start_ms``/``end_ms`` on the returned audio's timeline.
"""

from __future__ import annotations

import itertools
import json
import logging
import zlib
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from voxserve import timing
from voxserve.pipeline import SynthesisPlan, Synthesizer, UnitTask
from voxserve.text.tokens import Token, Tokenizer
from voxserve.timing import Timed
from voxserve.types import AudioResult, SynthesisRequest

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TimedToken:
    """A token of the shared schema with when it is heard (milliseconds, integers)."""

    token: Token
    start_ms: int
    end_ms: int

    def as_json(self) -> dict[str, object]:
        """The token's fields followed by ``start_ms``/``end_ms``."""
        fields = asdict(self.token)
        fields["pinyin"] = list(self.token.pinyin) if self.token.pinyin is not None else None
        return {**fields, "start_ms": self.start_ms, "end_ms": self.end_ms}

    # The fields captions read (``voxserve.captions.TimedToken``).
    @property
    def text(self) -> str:
        return self.token.text

    @property
    def orig_start(self) -> int:
        return self.token.orig_start

    @property
    def orig_end(self) -> int:
        return self.token.orig_end

    @property
    def lang(self) -> str:
        return self.token.lang


@dataclass(frozen=True)
class Sentence:
    """One unit of speech (a sentence or a clause of a long one) on the timeline."""

    index: int
    text: str
    orig_start: int
    orig_end: int
    start_ms: int
    end_ms: int
    """Where its speech ends (the pause after it is not included)."""

    def as_json(self) -> dict[str, object]:
        return asdict(self)


def unit_items(task: UnitTask) -> int:
    """How many items (marks) the rendered unit carries."""
    return sum(len(timing.items(run.text)) for run in task.runs)


def _token_items(tokens: Sequence[Token], total: int) -> list[tuple[int, int]]:
    """Each token's first item and its item count. When the counts disagree with the units'
    (a front-end difference), tokens are spread evenly over the items instead."""
    counts = [len(timing.items(t.spoken)) for t in tokens]
    if sum(counts) != total:
        log.warning("timestamps: %d token items for %d spoken items", sum(counts), total)
        edges = np.linspace(0, total, len(tokens) + 1).round().astype(int)
        return [(int(a), int(b - a)) for a, b in itertools.pairwise(edges)]
    firsts = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(int)
    return [(int(f), n) for f, n in zip(firsts, counts, strict=True)]


class Timeline:
    """Places one request's tokens on its audio as its units arrive (in order)."""

    def __init__(self, plan: SynthesisPlan, tokens: Sequence[Token], source: str) -> None:
        self.tokens = list(tokens)
        self.source = source
        self.rate = plan.sample_rate
        self._tasks = plan.units
        self._counts = [unit_items(task) for task in plan.units]
        self._spans = _token_items(self.tokens, sum(self._counts))
        self._marks: list[list[int]] = []  # every item's [start, end] so far, on the timeline
        self._units = 0
        self._next = 0
        self._samples = 0

    def _ms(self, sample: int | np.integer) -> int:
        return round(int(sample) * 1000 / self.rate)

    def add(self, unit: Timed) -> tuple[list[TimedToken], Sentence | None]:
        """The next unit's audio: the tokens it completes, and its sentence entry (None for a
        unit with nothing spoken)."""
        return self.add_marks(unit.marks, len(unit.pcm))

    def add_marks(
        self, marks: timing.Marks | None, samples: int
    ) -> tuple[list[TimedToken], Sentence | None]:
        """:meth:`add` from a unit's marks and length (None: marks unknown, estimated)."""
        index = self._units
        if marks is None or len(marks) != self._counts[index]:
            marks = timing.spread(["x"] * self._counts[index], 0, samples)
        # Kept as plain lists: a long job adds hundreds of units, and copying every mark again
        # for each one would grow with the square of its length (on the event loop).
        self._marks += (marks + self._samples).tolist()
        self._units += 1
        done = self._complete()
        speech = samples - round(self._tasks[index].pause_after * self.rate)
        sentence = self._sentence(index, done, self._samples, self._samples + max(0, speech))
        self._samples += samples
        return done, sentence

    def _complete(self) -> list[TimedToken]:
        marks = self._marks
        done: list[TimedToken] = []
        while self._next < len(self.tokens):
            first, count = self._spans[self._next]
            if first + count > len(marks):
                break
            if count:
                start, end = marks[first][0], marks[first + count - 1][1]
            else:  # nothing spoken for it: an instant where the speech before it ended
                start = end = marks[first - 1][1] if first else 0
            done.append(TimedToken(self.tokens[self._next], self._ms(start), self._ms(end)))
            self._next += 1
        return done

    def _sentence(
        self, index: int, done: list[TimedToken], start: int, end: int
    ) -> Sentence | None:
        if not done:
            return None
        first, last = done[0].orig_start, max(t.orig_end for t in done)
        return Sentence(index, self.source[first:last], first, last, self._ms(start), self._ms(end))

    def rest(self) -> list[TimedToken]:
        """Tokens no unit completed (none unless the counts disagreed): at the end."""
        end = self._ms(self._samples)
        found = [TimedToken(t, end, end) for t in self.tokens[self._next :]]
        self._next = len(self.tokens)
        return found


@dataclass(frozen=True)
class TimedResult:
    """A whole request spoken in this process, with its timestamps."""

    audio: AudioResult
    tokens: list[TimedToken]
    sentences: list[Sentence]


def synthesize_timed(
    synthesizer: Synthesizer, tokenizer: Tokenizer, request: SynthesisRequest
) -> TimedResult:
    """Plan and render ``request`` in this process (the CLI, tests, benchmarks), placing its
    tokens on the audio."""
    plan = synthesizer.plan(request)
    if request.ssml:
        tokens = tokenizer.ssml_tokens(request.text, request.lexicon)
    else:
        tokens = tokenizer.tokens(request.text, request.lexicon)
    timeline = Timeline(plan, tokens, request.text)
    pieces, timed, sentences = [], [], []
    for task in plan.units:
        unit = synthesizer.render_unit(task)
        done, sentence = timeline.add(unit)
        pieces.append(unit.pcm)
        timed += done
        sentences += [sentence] if sentence else []
    pcm = np.concatenate(pieces).astype(np.float32)
    audio = AudioResult(pcm, plan.sample_rate, plan.voice.id, plan.voice.engine)
    return TimedResult(audio, timed + timeline.rest(), sentences)


@dataclass(frozen=True)
class StoredToken:
    """A timed token read back from storage (what captions need of it)."""

    text: str
    orig_start: int
    orig_end: int
    lang: str
    start_ms: int
    end_ms: int


def pack_timings(
    tokens: Sequence[TimedToken], sentences: Sequence[Sentence], duration_ms: int
) -> bytes:
    """A job's timestamps as stored: compressed JSON of its tokens and sentences."""
    data = {
        "duration_ms": duration_ms,
        "tokens": [t.as_json() for t in tokens],
        "sentences": [s.as_json() for s in sentences],
    }
    return zlib.compress(json.dumps(data, ensure_ascii=False).encode())


def unpack_timings(data: bytes) -> dict[str, Any]:
    """The inverse of :func:`pack_timings`."""
    found: dict[str, Any] = json.loads(zlib.decompress(data))
    return found


def stored_tokens(timings: dict[str, Any]) -> list[StoredToken]:
    """The tokens of unpacked timings, for :func:`voxserve.captions.build_cues`."""
    return [
        StoredToken(
            t["text"], t["orig_start"], t["orig_end"], t["lang"], t["start_ms"], t["end_ms"]
        )
        for t in timings["tokens"]
    ]
