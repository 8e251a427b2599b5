"""Subtitle cues from timed tokens, and their WebVTT, SRT and JSON forms.

Pure: no I/O, no engine imports. The caller passes the tokens an engine timed (one per Han
character or per English word / normalized span), the source text they point into, and the
audio's length; :func:`build_cues` groups them into cues and the ``to_*`` functions render them.

Grouping: a cue grows token by token until it would pass its size limit (``max_chars`` Han
characters, ``max_words`` English words, in proportion for mixed text) or ``max_ms``. It is
then cut at the best token boundary inside it: after sentence-final punctuation (or a line
break), else after clause punctuation, else at the last boundary that fits. A pause longer than
:data:`PAUSE_MS` between tokens always ends a cue. Boundaries between tokens that share source
characters (one span read as several tokens) are never cut.

Timing: cues never overlap. Each ends where the next begins, so the text stays on screen
through short silences; across a pause longer than :data:`PAUSE_MS` a cue ends with its last
token and the screen is blank until the next. The first cue starts at 0 ms unless the speech
starts after more than :data:`PAUSE_MS`; the last ends at ``duration_ms`` (or at its last
token's end, should that be later).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

PAUSE_MS = 1000
"""A silence longer than this between two tokens ends a cue and leaves a gap without text."""

_SENTENCE_END = frozenset("。！？.!?；;…\n")
_CLAUSE_END = frozenset("，、,:：")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
_OPENERS = frozenset("\"'")

# Strength of the boundary after a token: 0 = may not cut; higher is a better place to cut.
_NO_CUT, _PLAIN, _CLAUSE, _SENTENCE = 0, 1, 2, 3


class TimedToken(Protocol):
    """One spoken token: its characters, where they sit in the source, when they sound."""

    @property
    def text(self) -> str: ...
    @property
    def orig_start(self) -> int: ...
    @property
    def orig_end(self) -> int: ...
    @property
    def lang(self) -> str: ...
    @property
    def start_ms(self) -> int: ...
    @property
    def end_ms(self) -> int: ...


@dataclass(frozen=True)
class Cue:
    """One subtitle: shown from ``start_ms`` to ``end_ms`` (audio timeline)."""

    start_ms: int
    end_ms: int
    text: str


def build_cues(
    tokens: Sequence[TimedToken],
    source: str,
    duration_ms: int,
    *,
    max_chars: int = 20,
    max_words: int = 12,
    max_ms: int = 6000,
) -> list[Cue]:
    """Group ``tokens`` into ordered, non-overlapping cues covering ``[0, duration_ms]``.

    ``max_chars`` bounds the Han characters of a Chinese cue, ``max_words`` the words of an
    English one; a mixed cue spends both budgets in proportion. Raises ValueError when a limit
    is not positive.
    """
    if min(max_chars, max_words, max_ms) <= 0:
        raise ValueError("max_chars, max_words and max_ms must be positive")
    if not tokens:
        return []
    strengths = [_boundary(tokens, source, i) for i in range(len(tokens))]
    groups: list[tuple[int, int]] = []
    first = 0
    while first < len(tokens):
        last = _cue_end(tokens, strengths, first, (max_chars, max_words, max_ms))
        groups.append((first, last))
        first = last + 1
    times = _cue_times(tokens, groups, duration_ms)
    return [
        Cue(start, end, _cue_text(tokens, source, a, b))
        for (a, b), (start, end) in zip(groups, times, strict=True)
    ]


def _boundary(tokens: Sequence[TimedToken], source: str, i: int) -> int:
    """How good a cut after token ``i`` is, from the source text between it and the next."""
    if i + 1 == len(tokens):
        return _SENTENCE
    token, following = tokens[i], tokens[i + 1]
    if following.orig_start < token.orig_end:
        return _NO_CUT
    between = set(source[token.orig_end : following.orig_start])
    if between & _SENTENCE_END:
        return _SENTENCE
    return _CLAUSE if between & _CLAUSE_END else _PLAIN


def _cue_end(
    tokens: Sequence[TimedToken], strengths: list[int], first: int, limits: tuple[int, int, int]
) -> int:
    """Index of the last token of the cue that starts at token ``first``."""
    max_chars, max_words, max_ms = limits
    # Han characters cost max_words each, words max_chars each: a pure cue of either kind
    # fills the budget exactly at its own limit, a mixed one in proportion.
    budget, spent = max_chars * max_words, 0
    for i in range(first, len(tokens)):
        han, words = _size(tokens[i])
        spent += han * max_words + words * max_chars
        if i == first:
            continue
        if strengths[i - 1] and tokens[i].start_ms - tokens[i - 1].end_ms > PAUSE_MS:
            return i - 1
        if spent > budget or tokens[i].end_ms - tokens[first].start_ms > max_ms:
            return _best_cut(strengths, first, i)
    return len(tokens) - 1


def _best_cut(strengths: list[int], first: int, over: int) -> int:
    """The strongest (then latest) cut before token ``over``; else the first one after it."""
    best = max(range(first, over), key=lambda b: (strengths[b], b))
    if strengths[best]:
        return best
    # No boundary inside may be cut (one span read as many tokens): overrun to the next one.
    return next(b for b in range(over, len(strengths)) if strengths[b])


def _size(token: TimedToken) -> tuple[int, int]:
    """(Han characters, English words) of a token; a Chinese token counts at least one."""
    if token.lang == "zh":
        return max(1, len(_HAN.findall(token.text))), 0
    return 0, 1


def _cue_times(
    tokens: Sequence[TimedToken], groups: list[tuple[int, int]], duration_ms: int
) -> list[tuple[int, int]]:
    """(start, end) of each cue: each ends where the next starts, unless a long pause divides."""
    starts = [tokens[a].start_ms for a, _ in groups]
    if starts[0] <= PAUSE_MS:
        starts[0] = 0
    ends = []
    for (_, b), next_start in zip(groups, starts[1:], strict=False):
        spoken_end = tokens[b].end_ms
        ends.append(spoken_end if next_start - spoken_end > PAUSE_MS else next_start)
    ends.append(max(duration_ms, tokens[-1].end_ms, starts[-1]))
    return list(zip(starts, ends, strict=True))


def _cue_text(tokens: Sequence[TimedToken], source: str, a: int, b: int) -> str:
    """Source text of tokens ``a..b``, with the punctuation that hugs it, spaces collapsed."""
    end = _trail_end(tokens, source, b)
    floor = _trail_end(tokens, source, a - 1) if a else 0
    start = tokens[a].orig_start
    # Opening quotes and brackets belong to the cue they open (closing ones went before).
    while start > floor and _is_opener(source[start - 1]):
        start -= 1
    text = " ".join(source[start:end].split())
    if text:
        return text
    # Offsets that point at nothing: fall back to the tokens' own characters.
    spoken = tokens[a : b + 1]
    separator = "" if all(t.lang == "zh" for t in spoken) else " "
    return separator.join(t.text for t in spoken)


def _trail_end(tokens: Sequence[TimedToken], source: str, i: int) -> int:
    """End of token ``i`` extended over the punctuation that directly follows it."""
    limit = tokens[i + 1].orig_start if i + 1 < len(tokens) else len(source)
    end = tokens[i].orig_end
    while end < limit and _is_trailing(source[end]):
        end += 1
    return end


def _is_trailing(char: str) -> bool:
    category = unicodedata.category(char)
    return category[0] in "PS" and category not in ("Ps", "Pi")


def _is_opener(char: str) -> bool:
    return char in _OPENERS or unicodedata.category(char) in ("Ps", "Pi")


def to_vtt(cues: Sequence[Cue]) -> str:
    """A WebVTT document: header, then one block per cue, text escaped for WebVTT."""
    blocks = [
        f"{_timestamp(c.start_ms, '.')} --> {_timestamp(c.end_ms, '.')}\n{_vtt_escape(c.text)}\n"
        for c in cues
    ]
    return "\n".join(["WEBVTT\n", *blocks])


def to_srt(cues: Sequence[Cue]) -> str:
    """A SubRip document: 1-based index, times and text per cue, blocks split by a blank line."""
    return "\n".join(
        f"{n}\n{_timestamp(c.start_ms, ',')} --> {_timestamp(c.end_ms, ',')}\n{c.text}\n"
        for n, c in enumerate(cues, start=1)
    )


def to_json(cues: Sequence[Cue]) -> list[dict[str, object]]:
    """Cues as JSON-ready objects: ``{"start_ms", "end_ms", "text"}``."""
    return [{"start_ms": c.start_ms, "end_ms": c.end_ms, "text": c.text} for c in cues]


def _timestamp(ms: int, separator: str) -> str:
    """``HH:MM:SS<separator>mmm``; hours grow past two digits rather than wrap."""
    hours, rest = divmod(max(ms, 0), 3_600_000)
    minutes, rest = divmod(rest, 60_000)
    seconds, millis = divmod(rest, 1000)
    return f"{hours:02d}:{minutes:02d}:{seconds:02d}{separator}{millis:03d}"


def _vtt_escape(text: str) -> str:
    """Escape what WebVTT cue text reserves; escaping ``>`` also rules out ``-->``."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
