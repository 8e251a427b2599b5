"""Timestamps checked against an independent reference: Whisper's word timestamps.

Whisper base (``faster-whisper``, ``word_timestamps=True``) says where each word it heard
starts. Its words are aligned with voxserve's tokens by what they sound like (Mandarin
syllables without tones, English words, after the round trip's normalization) with an edit
alignment (pieces heard as other pieces are paired where the runs have one length, or where
they sound alike); for every Whisper word whose first piece is paired with the first piece of a
token, the two starts are compared. A word that is paired with nothing is not matched.
"""

from __future__ import annotations

import difflib
from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np
import numpy.typing as npt

from tests.support.asr import (
    ZH_PROMPT,
    Language,
    Transcriber,
    normalize_en,
    normalize_zh,
    to_whisper_rate,
)
from voxserve.pipeline import Synthesizer
from voxserve.text.tokens import Tokenizer
from voxserve.timestamps import synthesize_timed
from voxserve.types import SynthesisRequest


@dataclass(frozen=True)
class HeardWord:
    text: str
    start_ms: int


@dataclass(frozen=True)
class SpokenToken:
    """What the comparison needs of a timed token (its spoken form and its start)."""

    spoken: str
    start_ms: int


@dataclass
class Agreement:
    """Start differences of matched words, and how many of Whisper's words matched.
    ``offsets`` keeps their signs: the heard word's start minus the token's."""

    differences: list[float] = field(default_factory=list)
    heard: int = 0
    offsets: list[float] = field(default_factory=list)

    def add(self, other: Agreement) -> None:
        self.differences += other.differences
        self.heard += other.heard
        self.offsets += other.offsets

    @property
    def matched(self) -> int:
        return len(self.differences)

    @property
    def match_rate(self) -> float:
        return self.matched / self.heard if self.heard else 0.0

    @property
    def median(self) -> float:
        return float(np.median(self.differences)) if self.differences else float("inf")

    @property
    def p90(self) -> float:
        return float(np.percentile(self.differences, 90)) if self.differences else float("inf")

    @property
    def bias(self) -> float:
        """The median signed offset: negative where the heard words start earlier."""
        return float(np.median(self.offsets)) if self.offsets else 0.0

    def summary(self) -> str:
        return (
            f"median {self.median:.0f} ms, p90 {self.p90:.0f} ms, "
            f"matched {self.matched}/{self.heard} ({self.match_rate:.0%})"
        )


def heard_words(
    transcriber: Transcriber,
    pcm: npt.NDArray[np.floating],
    sample_rate: int,
    language: Language,
) -> list[HeardWord]:
    """The words Whisper hears in ``pcm``, with their starts (greedy, deterministic). Words
    placed after the last voiced sample, or given no duration, are left out: Whisper pads short
    clips to 30 s and may "hear" repeated words in the silence."""
    segments, _info = transcriber.model.transcribe(
        to_whisper_rate(pcm, sample_rate),
        language=language,
        beam_size=1,  # greedy: the words' places, not the best transcript, are what is used
        temperature=0.0,
        vad_filter=False,
        condition_on_previous_text=False,
        initial_prompt=ZH_PROMPT if language == "zh" else None,
        word_timestamps=True,
    )
    loud = np.flatnonzero(np.abs(np.asarray(pcm)) > 0.01)
    voiced_ms = (int(loud[-1]) if loud.size else 0) * 1000 / sample_rate
    words = [word for segment in segments for word in segment.words or []]
    return [
        HeardWord(w.word, round(w.start * 1000))
        for w in words
        if w.start * 1000 < voiced_ms and w.end > w.start
    ]


def measure(
    synthesizer: Synthesizer,
    tokenizer: Tokenizer,
    transcriber: Transcriber,
    sentences: Sequence[str],
    request: SynthesisRequest,
    language: Language,
) -> Agreement:
    """Speak each sentence with ``request``'s settings and compare its timestamps with what
    Whisper hears, over all of them."""
    total = Agreement()
    for text in sentences:
        result = synthesize_timed(synthesizer, tokenizer, replace(request, text=text))
        tokens = [SpokenToken(t.token.spoken, t.start_ms) for t in result.tokens]
        heard = heard_words(transcriber, result.audio.pcm, result.audio.sample_rate, language)
        total.add(agreement(tokens, heard, language))
    return total


def _units(text: str, language: Language) -> list[str]:
    """Comparable pieces of a text: syllables without tones (Mandarin: a homophone Whisper
    wrote in place of the character spoken still marks the same place) or words (English)."""
    if language == "zh":
        from pypinyin import lazy_pinyin

        return [syllable.lower() for syllable in lazy_pinyin(normalize_zh(text))]
    return normalize_en(text).split()


def agreement(
    tokens: Sequence[SpokenToken], heard: Sequence[HeardWord], language: Language
) -> Agreement:
    """Align ``heard`` with ``tokens`` by text and compare the starts of matched words."""
    ours: list[str] = []
    token_starts: dict[int, int] = {}  # index in ``ours`` of a token's first piece -> start
    for token in tokens:
        pieces = _units(token.spoken, language)
        if pieces:
            token_starts[len(ours)] = token.start_ms
            ours += pieces
    theirs: list[str] = []
    word_starts: dict[int, int] = {}
    counted = 0
    for word in heard:
        pieces = _units(word.text, language)
        if pieces:
            word_starts[len(theirs)] = word.start_ms
            theirs += pieces
            counted += 1
    result = Agreement(heard=counted)
    for i, j in _aligned(theirs, ours):
        if i in word_starts and j in token_starts:
            offset = word_starts[i] - token_starts[j]
            result.differences.append(abs(offset))
            result.offsets.append(offset)
    return result


def _aligned(theirs: list[str], ours: list[str]) -> list[tuple[int, int]]:
    """Pairs of positions an edit alignment puts together: equal runs, substitutions where a run
    of pieces was heard as as many other pieces, and, where a run was heard as a run of another
    length, the pieces of the two runs that sound alike (see ``_alike_pairs``)."""
    pairs: list[tuple[int, int]] = []
    matcher = difflib.SequenceMatcher(a=theirs, b=ours, autojunk=False)
    for tag, a0, a1, b0, b1 in matcher.get_opcodes():
        if tag == "equal" or (tag == "replace" and a1 - a0 == b1 - b0):
            pairs += zip(range(a0, a1), range(b0, b1), strict=True)
        elif tag == "replace":
            pairs += [(a0 + i, b0 + j) for i, j in _alike_pairs(theirs[a0:a1], ours[b0:b1])]
    return pairs


ALIKE = 0.6
"""Least similarity (difflib's ratio of the letters) of two pieces that sound alike: shu and chu,
zhen and zhe, walked and walk, but not de and le."""


def _alike_pairs(theirs: list[str], ours: list[str]) -> list[tuple[int, int]]:
    """The longest in-order pairing of pieces that sound alike. Fast speech is often heard with
    a syllable or word dropped or merged, so a run comes back a piece shorter or longer; its
    other pieces still mark where the words were spoken."""

    def alike(i: int, j: int) -> bool:
        return difflib.SequenceMatcher(a=theirs[i], b=ours[j]).ratio() >= ALIKE

    n, m = len(theirs), len(ours)
    best = [[0] * (m + 1) for _ in range(n + 1)]  # best[i][j]: pairs within theirs[i:], ours[j:]
    for i in range(n - 1, -1, -1):
        for j in range(m - 1, -1, -1):
            paired = best[i + 1][j + 1] + 1 if alike(i, j) else 0
            best[i][j] = max(best[i + 1][j], best[i][j + 1], paired)
    pairs, i, j = [], 0, 0
    while i < n and j < m:
        if alike(i, j) and best[i][j] == best[i + 1][j + 1] + 1:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif best[i + 1][j] >= best[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs
