"""What the virtual users ask for besides the text: the workloads of the load benchmark.

``neutral``: every request in the default (neutral) voice, voxserve's plain ``{"text"}``.
``emotional``: the same corpus, but every second request carries an emotion, cycling through
all six of voxserve's emotions at intensity 1 (happy, sad, angry, fear, surprise, disgust); the
others stay neutral. The assignment depends only on the request's position in its user's
sequence (and the user), so every run sends the same mix, and twelve consecutive requests of a
user hold six neutral ones and each emotion once.
"""

from __future__ import annotations

from collections.abc import Iterator

from .corpus import CORPUS, text_stream

WORKLOADS: tuple[str, ...] = ("neutral", "emotional")
EMOTIONS: tuple[str, ...] = ("happy", "sad", "angry", "fear", "surprise", "disgust")
"""voxserve's emotions besides neutral (``voxserve.prosody.emotions.EMOTIONS``)."""
INTENSITY = 1.0


def emotion_for(workload: str, index: int) -> str | None:
    """The emotion of request ``index`` (0, 1, 2... of a sequence) under ``workload``, or None
    for a neutral request: under ``emotional``, odd positions cycle through :data:`EMOTIONS`."""
    if workload not in WORKLOADS:
        raise ValueError(f"unknown workload {workload!r}; known: {', '.join(WORKLOADS)}")
    if workload == "neutral" or index % 2 == 0:
        return None
    return EMOTIONS[(index // 2) % len(EMOTIONS)]


def request_stream(
    seed: int, workload: str, offset: int = 0, texts: tuple[str, ...] = CORPUS
) -> Iterator[tuple[str, str | None]]:
    """Endless ``(text, emotion)`` pairs: the texts of :func:`corpus.text_stream` ``(seed)``,
    the emotions of :func:`emotion_for` from position ``offset`` on (users start at different
    offsets, so that they do not all ask for the same emotion at once)."""
    for index, text in enumerate(text_stream(seed, texts), start=offset):
        yield text, emotion_for(workload, index)


def parse_list(value: str, known: tuple[str, ...], option: str) -> tuple[str, ...]:
    """A comma-separated option value, checked against ``known``, duplicates dropped."""
    names = tuple(dict.fromkeys(v.strip() for v in value.split(",") if v.strip()))
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        raise ValueError(f"{option}: unknown {', '.join(unknown) or 'empty'}; known: {known}")
    return names
