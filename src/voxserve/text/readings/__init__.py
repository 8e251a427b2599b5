"""Citation readings of Han characters in context: pinyin with tone 1-5, before tone sandhi.

Stages, each overriding the one before for the characters it decides: pypinyin's dictionaries
(phrase readings for dictionary words), a polyphone model for polyphonic characters outside
dictionary words, context rules for standalone characters (长/调/得/背/数 and surnames before a
title), and word overrides (the maintained list, later user lexicons). ``bench/polyphones.py``
measures each stage on the CPP benchmark.
"""

from voxserve.text.readings.model import PolyphoneModel, g2pm_model
from voxserve.text.readings.reader import Reader
from voxserve.text.readings.segmenter import Segmenter, jieba_segmenter

__all__ = ["PolyphoneModel", "Reader", "Segmenter", "g2pm_model", "jieba_segmenter"]
