"""SSML: the subset voxserve reads, parsed safely into segments of plain text.

Elements: ``speak``, ``p``, ``s``, ``break`` (time, strength), ``prosody`` (rate, pitch, volume),
``emphasis``, ``say-as`` (cardinal, digits, telephone, date, time, characters, name), ``sub``
(alias), ``phoneme`` (alphabet ``py``, or Azure's ``sapi``), ``voice`` (name) and Azure's
``mstts:express-as`` (style, styledegree: an emotion and its intensity). Any other element is
dropped and its text kept. No DTD or entity declaration is accepted (``security.xml``), nesting is
at most :data:`MAX_DEPTH` deep and a document has at most :data:`MAX_ELEMENTS` elements.

A segment is text as voxserve reads plain text (a phoneme becomes the shorthand ``[行长](hang2
zhang3)``), the style in force, and the pause after it. Every character of a segment keeps the
span of the document it came from, so tokens point into the document itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

from voxserve.errors import InvalidMarkupError
from voxserve.security.xml import parse_with, secure_parser
from voxserve.text import pinyin, ssml_values
from voxserve.text.script import HAN

MAX_DEPTH = 32
MAX_ELEMENTS = 10_000
PARAGRAPH_PAUSE_S = 0.3
Span = tuple[int, int]


@dataclass(frozen=True)
class Style:
    """What the elements around a piece of text ask for, over the request's own settings."""

    voice: str | None = None
    emotion: str | None = None
    intensity: float | None = None
    rate: float = 1.0
    pitch: float = 0.0
    volume: float = 0.0


@dataclass(frozen=True)
class Segment:
    text: str
    spans: tuple[Span, ...]
    """Per character of ``text``, the ``[start, end)`` of the document it came from."""
    style: Style = field(default_factory=Style)
    pause_after: float = 0.0


def is_ssml(text: str) -> bool:
    """Whether ``text`` is an SSML document: it starts with ``<speak``, or with an XML
    declaration or a DOCTYPE (which the parser then refuses, rather than reading it aloud)."""
    return text.lstrip().startswith(("<speak", "<?xml", "<!DOCTYPE", "<!doctype"))


def _local(name: str) -> str:
    return name.rsplit(":", 1)[-1].rsplit(" ", 1)[-1].lower()


@dataclass
class _Frame:
    name: str
    start: int
    styled: bool = False
    attrs: dict[str, str] = field(default_factory=dict)
    captured: list[tuple[str, Span]] = field(default_factory=list)


_CAPTURING = frozenset({"say-as", "sub", "phoneme"})
_STYLING = frozenset({"prosody", "emphasis", "voice", "express-as"})


class _Reader:
    """expat handlers that build the segments of one document."""

    def __init__(self, document: str) -> None:
        self.doc = document
        encoded = document.encode("utf-8")
        self.char_at = [0] * (len(encoded) + 1)
        position = 0
        for index, char in enumerate(document):
            for _ in range(len(char.encode("utf-8"))):
                self.char_at[position] = index
                position += 1
        self.char_at[position] = len(document)
        self.parser = secure_parser()
        self.parser.buffer_text = False
        self.parser.StartElementHandler = self.start
        self.parser.EndElementHandler = self.end
        self.parser.CharacterDataHandler = self.data
        self.frames: list[_Frame] = []
        self.styles = [Style()]
        self.text: list[str] = []
        self.spans: list[Span] = []
        self.segments: list[Segment] = []
        self.elements = 0
        self.zh = True

    def here(self) -> int:
        return self.char_at[min(self.parser.CurrentByteIndex, len(self.char_at) - 1)]

    # -- elements ------------------------------------------------------------------------------

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        self.elements += 1
        if len(self.frames) >= MAX_DEPTH or self.elements > MAX_ELEMENTS:
            raise InvalidMarkupError(
                f"SSML nests at most {MAX_DEPTH} deep and has at most {MAX_ELEMENTS} elements",
                param="text",
            )
        if not self.frames and local != "speak":
            raise InvalidMarkupError(f"the root element is <{local}>, not <speak>", param="text")
        attrs = {_local(k): v for k, v in attrs.items()}
        frame = _Frame(local, self.here(), attrs=attrs)
        if self.frames and self.frames[-1].name in _CAPTURING:
            raise InvalidMarkupError(f"<{local}> inside <{self.frames[-1].name}>", param="text")
        if local == "speak" and not self.frames:
            self.zh = not attrs.get("lang", "zh").lower().startswith("en")
        elif local in ("p", "s"):
            self.flush()
        elif local == "break":
            self.flush(ssml_values.break_seconds(attrs.get("time"), attrs.get("strength")))
        elif local in _STYLING:
            self.flush()
            self.styles.append(self.styled(local, attrs))
            frame.styled = True
        self.frames.append(frame)

    def styled(self, local: str, attrs: dict[str, str]) -> Style:
        style = self.styles[-1]
        if local == "prosody":
            rate = ssml_values.rate(attrs["rate"]) if "rate" in attrs else 1.0
            pitch = ssml_values.pitch(attrs["pitch"]) if "pitch" in attrs else 0.0
            volume = ssml_values.volume(attrs["volume"]) if "volume" in attrs else 0.0
        elif local == "emphasis":
            rate, pitch, volume = ssml_values.emphasis(attrs.get("level"))
        elif local == "voice":
            if not attrs.get("name"):
                raise InvalidMarkupError("<voice> needs a name", param="text")
            return replace(style, voice=attrs["name"])
        else:
            emotion, intensity = ssml_values.express_as(
                attrs.get("style"), attrs.get("styledegree")
            )
            return replace(style, emotion=emotion, intensity=intensity)
        return replace(
            style,
            rate=style.rate * rate,
            pitch=style.pitch + pitch,
            volume=style.volume + volume,
        )

    def end(self, name: str) -> None:
        frame = self.frames.pop()
        if frame.name in _CAPTURING:
            close = self.doc.find(">", self.here())
            element = (frame.start, close + 1 if close >= 0 else len(self.doc))
            self.add(self.captured_text(frame, element))
        elif frame.styled:
            self.flush()
            self.styles.pop()
        elif frame.name == "p":
            self.flush(PARAGRAPH_PAUSE_S)
        elif frame.name == "s":
            self.flush()

    def captured_text(self, frame: _Frame, element: Span) -> list[tuple[str, Span]]:
        text = "".join(char for char, _ in frame.captured)
        if frame.name == "sub":
            alias = frame.attrs.get("alias")
            if alias is None:
                raise InvalidMarkupError("<sub> needs an alias", param="text")
            return [(char, element) for char in alias]
        if frame.name == "phoneme":
            reading = _pinyin(frame.attrs, text)
            return [("[", element), *frame.captured, *((c, element) for c in f"]({reading})")]
        spoken = ssml_values.say_as(frame.attrs.get("interpret-as"), text, self.zh)
        return frame.captured if spoken == text else [(char, element) for char in spoken]

    # -- text ----------------------------------------------------------------------------------

    def data(self, data: str) -> None:
        start = self.here()
        if self.doc.startswith("&", start):  # a reference (&amp; &#20320;): its whole span
            end = self.doc.find(";", start) + 1 or start + 1
            chars = [(char, (start, end)) for char in data]
        else:
            chars = [(char, (start + i, start + i + 1)) for i, char in enumerate(data)]
        if self.frames and self.frames[-1].name in _CAPTURING:
            self.frames[-1].captured += chars
        elif self.frames:
            self.add(chars)

    def add(self, chars: list[tuple[str, Span]]) -> None:
        self.text += [char for char, _ in chars]
        self.spans += [span for _, span in chars]

    def flush(self, pause: float = 0.0) -> None:
        """End the segment being built (if it has text), then add ``pause`` after it."""
        if "".join(self.text).strip():
            self.segments.append(Segment("".join(self.text), tuple(self.spans), self.styles[-1]))
        self.text, self.spans = [], []
        if pause <= 0:
            return
        if self.segments:
            last = self.segments[-1]
            self.segments[-1] = replace(last, pause_after=last.pause_after + pause)
        else:
            self.segments.append(Segment("", (), self.styles[-1], pause))


def _pinyin(attrs: dict[str, Any], text: str) -> str:
    """A phoneme's reading as pinyin with tone numbers, checked against its Han characters."""
    alphabet = str(attrs.get("alphabet", "py")).lower()
    given = str(attrs.get("ph", ""))
    if alphabet in ("sapi", "x-microsoft-sapi"):
        given = re.sub(r"([a-zü:]+)\s*([1-5])", r"\1\2", given.lower())
    elif alphabet not in ("py", "pinyin"):
        raise InvalidMarkupError(
            f"<phoneme alphabet={alphabet!r}>: the alphabets read are py and sapi", param="text"
        )
    syllables = [pinyin.parse(s) for s in re.split(r"[\s,]+", given.strip()) if s]
    han = sum(1 for char in text if HAN.match(char))
    if not syllables or len(syllables) != han:
        raise InvalidMarkupError(
            f"<phoneme ph={given!r}>: {len(syllables)} syllables for {han} Han characters",
            param="text",
        )
    return " ".join(syllables)


def parse(document: str) -> list[Segment]:
    """The segments of an SSML ``document``; InvalidMarkupError (InvalidPinyinError for a bad
    syllable) naming what is wrong."""
    reader = _Reader(document)
    parse_with(reader.parser, document)
    reader.flush()
    return reader.segments
