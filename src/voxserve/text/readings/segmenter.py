"""Word segmentation for the Mandarin front end."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable
from typing import cast

Segmenter = Callable[[str], Iterable[str]]
"""Splits a run of Han characters into words."""


def jieba_segmenter() -> Segmenter | None:
    """jieba's word segmenter if it is installed, else None (no word breaks).

    Marking word boundaries with Baker's ``#1`` (as in its training labels) lowered the Whisper
    round-trip CER from 0.086 to 0.071 on 32 sentences; pypinyin's own segmentation is too coarse.
    """
    try:
        jieba = importlib.import_module("jieba")
    except ImportError:
        return None
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()  # about 1 s (0.3 s once its cache exists): pay it at load, not per call
    return cast(Segmenter, tokenizer.cut)
