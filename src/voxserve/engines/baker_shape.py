"""Where the parts of one sentence sit in the Baker voice's input: phrases, syllables, words.

The prosody planner (:mod:`voxserve.engines.baker_prosody`) works on input indexes; this module
finds them in the phone sequence the front end builds (``sil``, initial/final pairs joined by
``#0`` inside a word and ``#1`` between words, ``#2``-``#4`` at punctuation, ``sil``), with each
phone's owner: the index in the text of the character it belongs to (-1 for pauses).
"""

from __future__ import annotations

from collections.abc import Sequence

from voxserve.engines.baker_prosody import SentenceKind, Shape

_PAUSES = frozenset({"sil", "#3", "#4"})
_WORD_BOUNDARIES = frozenset({"#0", "#1", "#2"})
_QUESTION_MARKS = ("？", "?")
_EXCLAMATION_MARKS = ("！", "!")
_CLOSING = "」』”\"'）)"
_EMPHASIS = (
    "太 真 真是 非常 特别 十分 极其 极了 最 多么 简直 竟然 居然 "
    "根本 绝对 实在 千万 一定 难道 究竟 到底 真的 尤其 格外 万分 无比 超级"
)
EMPHASIS_WORDS = frozenset(_EMPHASIS.split())
"""Words that carry a sentence's feeling when it has one (degree adverbs, intensifiers and
the adverbs of surprise and insistence). Matched as whole words of the segmenter, so 十分 in
十分钟 (ten minutes) is not one; 太 also as the head of a word the segmenter keeps whole with
its 了 (太好了)."""


def shape(text: str, owned: Sequence[tuple[str, int]], length: int) -> Shape:
    """The structure of ``text`` as spoken by ``owned`` (phones and their characters' indexes),
    for a model input of ``length`` ids (the phones, then end of sequence)."""
    phones = [phone for phone, _ in owned]
    return Shape(
        length,
        sentence_kind(text),
        phrases(phones),
        final_neutral_syllable(phones),
        phrase_finals(phones),
        emphasized(text, owned),
    )


def sentence_kind(text: str) -> SentenceKind:
    """``question`` or ``exclamation`` by the final mark (closing quotes aside), else
    ``statement``."""
    end = text.rstrip().rstrip(_CLOSING)
    if end.endswith(_QUESTION_MARKS):
        return "question"
    return "exclamation" if end.endswith(_EXCLAMATION_MARKS) else "statement"


def phrases(phones: Sequence[str]) -> list[range]:
    """Index ranges of the phrases in ``phones``: the spans between silences and the prosodic
    boundaries a pause is read at (``#3``, ``#4``)."""
    out: list[range] = []
    start = 0
    for index, phone in enumerate([*phones, "sil"]):
        if phone in _PAUSES:
            if index > start:
                out.append(range(start, index))
            start = index + 1
    return out


def _is_final(phones: Sequence[str], index: int) -> bool:
    """Whether ``phones[index]`` is a syllable's final (an erhua ``er5`` after a final belongs
    to that syllable)."""
    phone = phones[index]
    if not phone[-1:].isdigit():
        return False
    return not (phone == "er5" and index and phones[index - 1][-1:].isdigit())


def _is_initial(phone: str) -> bool:
    return phone not in _PAUSES and not phone.startswith("#") and not phone[-1:].isdigit()


def _syllable(phones: Sequence[str], final: int, stop: int) -> range:
    """The syllable whose final is at ``final``: its initial, if any, to ``stop``."""
    start = final - 1 if final and _is_initial(phones[final - 1]) else final
    return range(start, stop)


def final_neutral_syllable(phones: Sequence[str]) -> range | None:
    """Indexes of the last syllable's phones when it has the neutral tone (a final 吗, 呢,
    吧 ...), else None."""
    finals = [i for i, phone in enumerate(phones) if phone[-1:].isdigit()]
    if not finals or not phones[finals[-1]].endswith("5"):
        return None
    return _syllable(phones, finals[-1], finals[-1] + 1)


def phrase_finals(phones: Sequence[str]) -> list[range]:
    """Each phrase's last syllable: its initial, final and any erhua, and the word boundary
    before it (the model gives it frames that sound as the syllable's onset)."""
    out: list[range] = []
    for phrase in phrases(phones):
        finals = [i for i in phrase if _is_final(phones, i)]
        if finals:
            syllable = _syllable(phones, finals[-1], phrase.stop)
            start = syllable.start
            if start > phrase.start and phones[start - 1] in _WORD_BOUNDARIES:
                start -= 1
            out.append(range(start, syllable.stop))
    return out


def emphasized(text: str, owned: Sequence[tuple[str, int]]) -> list[range]:
    """Index ranges of the words in :data:`EMPHASIS_WORDS` (each word's boundary symbol
    included: it sounds as the onset of its first syllable)."""
    out: list[range] = []
    for word in _words(owned):
        owners = sorted({owned[i][1] for i in word})
        chars = "".join(text[o] for o in owners)
        if chars in EMPHASIS_WORDS:
            out.append(word)
        elif len(chars) > 2 and chars[0] == "太" and chars[-1] == "了":
            out.append(range(word.start, max(i for i in word if owned[i][1] == owners[0]) + 1))
    return out


def _words(owned: Sequence[tuple[str, int]]) -> list[range]:
    """Index ranges of the words: a word starts at a pause or a boundary other than ``#0``."""
    out: list[range] = []
    start: int | None = None
    for index, (phone, owner) in enumerate([*owned, ("sil", -1)]):
        boundary = phone in _PAUSES or (phone.startswith("#") and phone != "#0")
        if boundary and start is not None:
            out.append(range(start, index))
            start = None
        if owner >= 0 and start is None:
            start = index
    return out
