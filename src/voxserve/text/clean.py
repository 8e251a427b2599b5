"""Input checks and Unicode clean-up: reject control characters, fold width variants (NFKC)."""

from __future__ import annotations

import re
import unicodedata

from voxserve.errors import InvalidTextError

# C0 and C1 controls except tab, line feed and carriage return; lone surrogates cannot be encoded.
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# Zero-width and direction marks, soft hyphens, variation selectors: invisible, never spoken.
# Private-use characters (icon fonts) are never spoken either, and carry readings inside voxserve.
_INVISIBLE = re.compile(
    "[\u00ad\u200b-\u200f\u202a-\u202e\u2060-\u2064\ufeff\ufe00-\ufe0f\ue000-\uf8ff]"
)
_SPEAKABLE = re.compile(r"[^\W_]")
# Mapped before NFKC: NFKC turns 1½ into "11⁄2" and leaves the minus sign and wave dash alone.
_BEFORE_NFKC = str.maketrans(
    {
        "½": " 1/2",
        "⅓": " 1/3",
        "⅔": " 2/3",
        "¼": " 1/4",
        "¾": " 3/4",
        "⅛": " 1/8",
        "\u2212": "-",
        "〜": "~",
        "\u2019": "'",
        "\u2018": "'",
        "\u2028": "\n",
        "\u2029": "\n\n",
        "\r": "\n",
        "\t": " ",
    }
)
# Full-width Chinese punctuation is kept: it tells Chinese context and engine pauses apart.
_FOLDABLE = re.compile("[^，！？；：（）]+")
_WIDE_COLON_IN_NUMBER = re.compile(r"(?<=\d)：(?=\d)")
# A line broken inside an English sentence (hard-wrapped text) is one sentence, not two.
_WRAPPED = re.compile(r"(?<=[A-Za-z,;])[ ]*\n[ ]*(?=[a-z])")


def check(text: str, *, param: str = "text") -> None:
    """Raise InvalidTextError if ``text`` holds a control character or a lone surrogate."""
    bad = _FORBIDDEN.search(text)
    if bad is None:
        return
    code = ord(bad.group())
    what = "an unpaired surrogate" if 0xD800 <= code <= 0xDFFF else "a control character"
    raise InvalidTextError(
        f"text contains {what} (U+{code:04X}) at position {bad.start()}; "
        "only printable characters, spaces, tabs and line breaks are allowed",
        param=param,
    )


def clean(text: str) -> str:
    """Check ``text`` and fold it to one form: NFKC (３ → 3), Chinese punctuation kept."""
    check(text)
    text = text.replace("\r\n", "\n").translate(_BEFORE_NFKC)
    text = _FOLDABLE.sub(_nfkc, _INVISIBLE.sub("", text))
    text = _WIDE_COLON_IN_NUMBER.sub(":", text)
    return _WRAPPED.sub(" ", text)


def _nfkc(match: re.Match[str]) -> str:
    return unicodedata.normalize("NFKC", match.group(0))


def speakable(text: str) -> bool:
    """Whether ``text`` has any letter or digit (punctuation, symbols and emoji alone do not)."""
    return _SPEAKABLE.search(text) is not None
