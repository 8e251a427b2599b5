"""Text words joined into one spoken word: which text words each spoken word covers.

A phonemizer may join words as they are spoken: espeak-ng writes "for the" as one word
(``fɚðə``). Timings from the spoken words then no longer line up one to one with the text's.
:func:`group_words` finds the grouping whose lengths agree best with each text word's own length
(its phonemes when spoken alone), and :func:`share_span` places the words inside a group.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence


def group_words(expected: Sequence[int], spoken: Sequence[int]) -> list[int] | None:
    """How many consecutive text words each spoken word covers (in order, each at least one),
    chosen so that the summed ``expected`` lengths of a group come closest to its ``spoken``
    length; None when there are more spoken words than text words, or none."""
    words, groups = len(expected), len(spoken)
    if not groups or groups > words:
        return None
    sums = [0, *itertools.accumulate(expected)]
    cost = [[math.inf] * (groups + 1) for _ in range(words + 1)]
    back = [[0] * (groups + 1) for _ in range(words + 1)]
    cost[0][0] = 0.0
    for j in range(1, groups + 1):
        for i in range(j, words - (groups - j) + 1):
            for k in range(j - 1, i):
                total = cost[k][j - 1] + abs(sums[i] - sums[k] - spoken[j - 1])
                if total < cost[i][j]:
                    cost[i][j], back[i][j] = total, k
    sizes: list[int] = []
    i = words
    for j in range(groups, 0, -1):
        sizes.append(i - back[i][j])
        i = back[i][j]
    return sizes[::-1]


def share_span(start: int, end: int, lengths: Sequence[int]) -> list[int]:
    """Where each word of a group spoken from sample ``start`` to ``end`` begins: the span
    shared in proportion to the words' own ``lengths``."""
    weights = list(lengths) if any(lengths) else [1] * len(lengths)
    before = [0, *itertools.accumulate(weights)][:-1]
    return [start + round((end - start) * b / sum(weights)) for b in before]
