"""The polyphone model: the reading of each polyphonic character from its sentence context.

g2pM (Park & Lee 2020, PyPI ``g2pM``, Apache-2.0) is a one-layer BiLSTM trained on the CPP
corpus; its weights ship inside the wheel as numpy arrays. It scores 97.4% on the CPP dev split
against pypinyin's 87.5%, at about 3 ms per sentence on one core.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Sequence
from typing import Any

PolyphoneModel = Callable[[str], Sequence[str | None]]
"""Text in; per character, the predicted reading (``zhong4``, ü written ``v``) of a polyphonic
character, or None for a character the model has no choice for."""


def _pinyin(reading: str) -> str:
    return reading.replace("u:", "v")


def g2pm_model() -> PolyphoneModel | None:
    """g2pM's model, or None when the package is not installed."""
    try:
        module = importlib.import_module("g2pM")
    except ImportError:
        return None
    model: Any = module.G2pM()
    choices: dict[str, list[str]] = model.cedict

    def predict(text: str) -> list[str | None]:
        if not any(len(choices.get(char, ())) > 1 for char in text):
            return [None] * len(text)
        predicted: list[str] = model(text, char_split=True, tone=True)
        return [
            _pinyin(reading) if len(choices.get(char, ())) > 1 else None
            for char, reading in zip(text, predicted, strict=True)
        ]

    return predict
