"""Rules for Latin-script text: web addresses, abbreviations, initials and acronyms."""

from __future__ import annotations

import re

from voxserve.text.rules import WORD_END as _END
from voxserve.text.rules import WORD_START as _START
from voxserve.text.rules import ends_sentence, latin_rule

# These always have a word after them (titles, "e.g."), so their full stop never ends a sentence.
_LEADING = {
    "Dr": "Doctor",
    "Mr": "Mister",
    "Mrs": "Missus",
    "Ms": "Miz",
    "Prof": "Professor",
    "St": "Saint",
    "Mt": "Mount",
    "Fig": "Figure",
    "Vol": "Volume",
    "Gen": "General",
    "Capt": "Captain",
    "Sgt": "Sergeant",
    "e.g": "for example",
    "i.e": "that is",
    "vs": "versus",
}
# These can end a sentence, so they keep a full stop when the text goes on with a new sentence.
_TERMINAL = {
    "etc": "et cetera",
    "approx": "approximately",
    "Inc": "Incorporated",
    "Ltd": "Limited",
    "Co": "Company",
    "Corp": "Corporation",
    "Jr": "Junior",
    "Sr": "Senior",
    "Dept": "Department",
}
_ABBREVIATIONS = _LEADING | _TERMINAL
_ABBREVIATION = "|".join(re.escape(k) for k in sorted(_ABBREVIATIONS, key=len, reverse=True))
# Acronyms pronounced as words, not letter by letter.
_WORD_ACRONYMS = frozenset(["PIN", "RAM", "ROM", "GIF", "LAN", "WAN", "SIM", "SARS", "JPEG"])
_CAPS = "(?:[A-Z]{2,}|I|A)"
_SPOKEN_NAMES = {"C++": "C plus plus", "C#": "C sharp", "F#": "F sharp", "OK": "okay"}


def _abbreviation(match: re.Match[str]) -> str:
    word = _ABBREVIATIONS[match.group(1)]
    return word + "." if match.group(1) in _TERMINAL and ends_sentence(match) else word


def _initials(match: re.Match[str]) -> str:
    letters = " ".join(match.group(0).replace(".", "").upper())
    return letters + "." if ends_sentence(match) else letters


def _said_as_word(letters: str) -> bool:
    # Longer capitalized words with two or more vowels are pronounceable (NASA, APEC, ASAP);
    # consonant clusters are spelled (HTML, HTTPS, JSON).
    return letters in _WORD_ACRONYMS or (
        len(letters) >= 4 and sum(c in "AEIOU" for c in letters) >= 2
    )


def _acronym(match: re.Match[str]) -> str:
    letters, plural = match.group(1), match.group(2)
    if _said_as_word(letters):
        return letters.capitalize() + plural
    return " ".join(letters) + ("'s" if plural else "")


def _address(match: re.Match[str]) -> str:
    text = re.sub(r"^https?://", "", match.group(0)).rstrip("/")
    text = text.replace(".", " dot ").replace("/", " slash ").replace("@", " at ")
    text = re.sub(r"\bwww\b", "W W W", text)
    return re.sub(r"[-_]", " ", text)


def _lowercase(match: re.Match[str]) -> str:
    return match.group(0).lower()


def _spoken(match: re.Match[str]) -> str:
    return _SPOKEN_NAMES[match.group(0)]


RULES = (
    latin_rule(
        "web address",
        rf"{_START}(?:https?://[A-Za-z0-9./_~%-]+[A-Za-z0-9/]"
        r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}"
        r"|www\.[A-Za-z0-9.-]+\.[A-Za-z]{2,}"
        rf"|[a-z0-9-]+\.(?:com|org|net|cn|io|edu|gov)){_END}",
        _address,
    ),
    latin_rule("abbreviation", rf"(?<![A-Za-z.])({_ABBREVIATION})\.", _abbreviation),
    latin_rule("no.", rf"{_START}No\.\s?(?=\d)", lambda m: "number "),
)
"""Rules that must run before numbers (``No. 5``, addresses with digits)."""

LATE_RULES = (
    latin_rule("initials", r"(?<![A-Za-z.])(?:[A-Za-z]\.){2,}", _initials),
    latin_rule("spoken name", r"(?<![A-Za-z])(?:C\+\+|C#|F#|OK)(?![A-Za-z+#])", _spoken),
    # Capitalized words in a row are shouting, not acronyms: three or more words (I and A
    # count), or two long ones. They are said as words.
    latin_rule(
        "shouting",
        rf"{_START}(?:{_CAPS}(?:[ ,'!?]+{_CAPS}{_END}){{2,}}|[A-Z]{{4,}}[ ,'!?]+[A-Z]{{4,}}{_END})",
        _lowercase,
    ),
    latin_rule("acronym", r"(?<![A-Za-z])([A-Z]{2,5})(s?)(?![A-Za-z])", _acronym),
)
"""Rules that run after numbers and units (a unit such as GB is an acronym too)."""
