"""Language runs: split a normalized unit into stretches of Mandarin (Han) and English (Latin).

Punctuation goes with the text before it (a comma closes the clause it ends); opening quotes and
brackets go with the text after them. Each run's punctuation is then put in its language's
form: the Mandarin engine pauses at Chinese punctuation, the English engines at ASCII.
"""

from __future__ import annotations

import re

from voxserve.text.pinyin import MARK_CLASS
from voxserve.text.script import HAN_CLASS, LATIN_CLASS, Lang

# Reading marks (voxserve.text.pinyin) stay with the Han character before them.
_TOKEN = re.compile(
    rf"(?P<zh>[{HAN_CLASS}][{HAN_CLASS}{MARK_CLASS}]*)"
    rf"|(?P<en>[{LATIN_CLASS}]+(?:['-][{LATIN_CLASS}]+)*)"
    rf"|(?P<other>[^{HAN_CLASS}{LATIN_CLASS}]+)"
)
_OPENERS = frozenset("(“‘「『《【（[")

_TO_ZH = str.maketrans(
    {",": "，", ".": "。", "!": "！", "?": "？", ";": "；", ":": "："}
    | dict.fromkeys("()[]（）【】—", "，")
)
_ZH_NOT_SPOKEN = re.compile(rf"[^{HAN_CLASS}{MARK_CLASS}，。！？；：、…]+")
_ZH_MARKS = "？！。…；：，、"
"""Chinese punctuation, strongest first: of several marks in a row the strongest is kept."""
_ZH_MARK_RUN = re.compile(f"[{_ZH_MARKS}]{{2,}}")

_TO_EN = str.maketrans(
    {"，": ",", "。": ".", "！": "!", "？": "?", "；": ";", "：": ":", "、": ",", "（": "("}
    | {"）": ")", "【": "(", "】": ")", "—": ",", "…": "..."}
    | dict.fromkeys("“”「」『』《》", '"')
)
_EN_NOT_SPOKEN = re.compile(rf"[^{LATIN_CLASS} ,.!?;:'\"()-]+")
_EN_MARKS = "?!.;:,"
_EN_MARK_RUN = re.compile(r"[,.!?;:]{2,}")
_SPACES = re.compile(r"\s+")
_SPACE_BEFORE_MARK = re.compile(r" (?=[,.!?;:)])|(?<=\() ")
_NO_SPACE_AFTER_MARK = re.compile(rf"(?<=[,;:!?])(?=[{LATIN_CLASS}])")


def _strongest(marks: str, order: str) -> str:
    return min(marks, key=order.index)


def clean_zh(text: str) -> str:
    """Mandarin run text: Han characters and the Chinese punctuation the engine pauses at."""
    text = text.replace("...", "…").translate(_TO_ZH)
    text = _ZH_NOT_SPOKEN.sub("", text)
    text = _ZH_MARK_RUN.sub(lambda m: _strongest(m.group(0), _ZH_MARKS), text)
    return text.lstrip(_ZH_MARKS)


def _en_marks(match: re.Match[str]) -> str:
    marks = match.group(0)
    if set(marks) == {"."}:
        return "..."
    return _strongest(marks, _EN_MARKS)


def clean_en(text: str) -> str:
    """English run text: letters, spaces and ASCII punctuation, tidily spaced."""
    text = _EN_NOT_SPOKEN.sub(" ", text.translate(_TO_EN))
    text = _SPACE_BEFORE_MARK.sub("", _SPACES.sub(" ", text))
    text = _NO_SPACE_AFTER_MARK.sub(" ", text)
    text = _EN_MARK_RUN.sub(_en_marks, text)
    return text.lstrip(" ,.!?;:)-").rstrip(" (-")


def _opens(text: str, i: int) -> bool:
    char = text[i]
    if char in _OPENERS:
        return True
    return char in "\"'" and (i == 0 or text[i - 1].isspace() or text[i - 1] in _OPENERS)


def _split_other(text: str, start: int, end: int) -> int:
    """Where punctuation between two runs stops closing the first and starts opening the next."""
    for i in range(start, end):
        if _opens(text, i):
            return i
    return end


def segments(text: str) -> list[tuple[Lang, str]]:
    """``text`` cut into (language, raw text) segments, punctuation attached, not yet cleaned."""
    parts: list[tuple[Lang, str]] = []
    carry = ""
    for token in _TOKEN.finditer(text):
        if token.lastgroup == "other":
            cut = _split_other(text, token.start(), token.end()) if parts else token.start()
            if cut > token.start():
                parts[-1] = (parts[-1][0], parts[-1][1] + text[token.start() : cut])
            carry += text[cut : token.end()]
            continue
        lang: Lang = "zh" if token.lastgroup == "zh" else "en"
        if parts and parts[-1][0] == lang:
            parts[-1] = (lang, parts[-1][1] + carry + token.group(0))
        else:
            parts.append((lang, carry + token.group(0)))
        carry = ""
    if carry and parts:
        parts[-1] = (parts[-1][0], parts[-1][1] + carry)
    return parts


def runs(text: str) -> list[tuple[Lang, str]]:
    """The language runs of one normalized unit, cleaned; runs left empty are dropped."""
    cleaned: list[tuple[Lang, str]] = []
    for lang, raw in segments(text):
        run = clean_zh(raw) if lang == "zh" else clean_en(raw)
        if not run:
            continue
        if cleaned and cleaned[-1][0] == lang:
            joiner = "" if lang == "zh" else " "
            cleaned[-1] = (lang, cleaned[-1][1] + joiner + run)
        else:
            cleaned.append((lang, run))
    return cleaned
