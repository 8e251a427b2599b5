"""Third-tone sandhi over prosodic words, and erhua, as Baker's labels write them.

A third tone before another third tone is said as a second tone, but only inside a prosodic
word: 展览馆 zhan2 lan2 guan3, yet in 我想买五把小雨伞 not every syllable but the last becomes a
second tone. Prosodic words are built from the segmenter's words the way Mandarin speakers
group them (after PaddleSpeech's ToneSandhi, which follows the same Baker conventions): short words
of third tones join their neighbours (我+很+好), and a word of three or four syllables changes
by its halves (纸 | 老虎 zhi3 lao2 hu3, 蒙古 | 包 meng2 gu2 bao3, 岂有 | 此理 qi2 you3 ci2 li3).

Erhua: 儿 at the end of a word is the rhotic suffix of the syllable before it (哪儿 nar3, 一会儿),
except in the words where it is a syllable of its own (女儿 nü3 er2, 婴儿, 健儿 ...).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence

ERHUA_AFTER = frozenset("哪这那点会玩块边事味样伴空圈号片些劲活头孩")
"""Without word boundaries: 儿 after these is the suffix (the common cases)."""

NOT_ERHUA = frozenset(
    {
        "女儿",
        "婴儿",
        "孤儿",
        "幼儿",
        "少儿",
        "男儿",
        "健儿",
        "胎儿",
        "宠儿",
        "混血儿",
        "新生儿",
        "孙儿",
        "侄儿",
        "孩儿",
        "患儿",
        "弃儿",
        "乞儿",
        "妻儿",
        "小儿",
        "早产儿",
        "幸运儿",
        "弄潮儿",
        "宁馨儿",
    }
)
"""Words that end in 儿 read as its own syllable er2."""

MAX_JOINED = 3
"""Words of third tones join into one prosodic word up to this many syllables."""


def erhua(chars: str, words: Sequence[int] | None) -> list[bool]:
    """For each character, whether it is a 儿 that is the suffix of the syllable before it.
    ``words``: the lengths of the segmenter's words over ``chars`` (None without one)."""
    suffix = [False] * len(chars)
    start = 0
    for length in words if words is not None else [1] * len(chars):
        end = start + length
        word = chars[start:end]
        if chars[end - 1 : end] == "儿" and end >= 2:
            joined = length >= 2 and word not in NOT_ERHUA
            alone = length == 1 and chars[end - 2] in ERHUA_AFTER
            suffix[end - 1] = joined or alone
        start = end
    return suffix


def third_tone(
    tones: list[int], words: Sequence[int] | None, split: Splitter | None = None
) -> None:
    """Apply third-tone sandhi to a clause's ``tones`` in place, word by prosodic word.
    Without ``words``, every run of third tones but its last syllable changes (the clause is
    taken as one prosodic word). ``split`` tells how a three-syllable word divides (1+2 or
    2+1); without it, 2+1."""
    if words is None:
        _runs(tones, 0, len(tones))
        return
    groups = _prosodic_words(tones, words)
    for start, parts in groups:
        if len(parts) == 1 and parts[0] == 3 and split is not None:
            parts = split(start)
        _word(tones, start, parts)
    # Between prosodic words the change happens too where one side is a single syllable that
    # leans on the other (图书馆 | 里 guan2 li3); between two longer ones it does not.
    for (_, parts), (after, more) in itertools.pairwise(groups):
        leaning = sum(parts) == 1 or sum(more) == 1
        if leaning and tones[after - 1] == 3 and tones[after] == 3:
            tones[after - 1] = 2


Splitter = Callable[[int], list[int]]
"""The parts (lengths) of the three-syllable word that starts at a syllable."""


def _all_three(tones: Sequence[int]) -> bool:
    return bool(tones) and all(tone == 3 for tone in tones)


def _prosodic_words(tones: Sequence[int], words: Sequence[int]) -> list[tuple[int, list[int]]]:
    """Words joined into prosodic words: each as (first syllable, lengths of its words).

    A monosyllable of third tone first joins the two-syllable word after it (小 | 雨伞: a
    modifier and its noun), then what is left joins left to right while the join stays
    within :data:`MAX_JOINED` syllables and meets third tone on third tone."""
    groups: list[list[int]] = []
    starts = [0, *itertools.accumulate(words)]
    for i, length in enumerate(words):
        start = starts[i]
        if groups and groups[-1] == [1] and length == 2 and _meets(tones, start):
            groups[-1] = [1, 2]
            continue
        groups.append([length])
    joined: list[tuple[int, list[int]]] = []
    start = 0
    for parts in groups:
        size = sum(parts)
        if joined and _joins(tones, joined[-1], start, size):
            joined[-1][1].extend(parts)
        else:
            joined.append((start, list(parts)))
        start += size
    return joined


def _meets(tones: Sequence[int], start: int) -> bool:
    return start > 0 and tones[start - 1] == 3 and tones[start] == 3


def _joins(tones: Sequence[int], group: tuple[int, list[int]], start: int, size: int) -> bool:
    first, parts = group
    if sum(parts) + size > MAX_JOINED:
        return False
    both_three = _all_three(tones[first:start]) and _all_three(tones[start : start + size])
    return both_three or _meets(tones, start)


def _runs(tones: list[int], start: int, end: int) -> None:
    """All but the last of each run of third tones in ``tones[start:end]`` become second."""
    for i in range(start, end - 1):
        if tones[i] == 3 and tones[i + 1] == 3:
            tones[i] = 2


def _word(tones: list[int], start: int, parts: list[int]) -> None:
    size = sum(parts)
    if size == 2 and _all_three(tones[start : start + 2]):
        tones[start] = 2
        return
    if size < 3:
        return
    if size == 3 and _all_three(tones[start : start + 3]):
        if parts[0] == 1:  # 纸 | 老虎: the first keeps its tone
            tones[start + 1] = 2
        else:  # 蒙古 | 包, 展览馆
            tones[start] = tones[start + 1] = 2
        return
    # Two halves: 2+2 for a four-syllable word (岂有 | 此理), else as segmented.
    halves = [2, size - 2] if len(parts) == 1 and size >= 4 else _halves(parts)
    middle = start + halves[0]
    _runs(tones, start, middle)
    _runs(tones, middle, start + size)
    if (
        halves[1]
        and tones[middle - 1] == 3
        and tones[middle] == 3
        and not _all_three(tones[middle : start + size])
    ):
        tones[middle - 1] = 2  # 好 | 喜欢: across the halves, before a half that is not all 3s


def _halves(parts: list[int]) -> list[int]:
    """The word split in two after its first part (a one-part word: not split)."""
    size = sum(parts)
    return [parts[0], size - parts[0]] if len(parts) > 1 else [size, 0]
