"""The engine protocol: load once, synthesize one text unit to float32 PCM.

Engines are synchronous and know nothing of HTTP, asyncio, caching or emotions: the pipeline
resolves emotions to a :class:`~voxserve.types.Prosody`, passes the engine the part it renders
natively (``native_controls``) and renders the rest with DSP.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Protocol, runtime_checkable

from voxserve.settings import Settings
from voxserve.timing import Timed
from voxserve.types import PCM, Prosody, ProsodyControl, Voice


class Engine(Protocol):
    """A loaded text-to-speech engine. Not thread-safe: one instance per worker process."""

    name: str
    native_controls: frozenset[ProsodyControl]

    def voices(self) -> Sequence[Voice]:
        """The voices this engine speaks with."""
        ...

    def synthesize(self, text: str, voice: Voice, prosody: Prosody) -> PCM:
        """Speak one normalized text unit in ``voice`` at ``voice.sample_rate``.

        ``prosody`` only carries controls listed in ``native_controls``; others are neutral.
        Raises :class:`~voxserve.errors.EngineError` on failure.
        """
        ...


@runtime_checkable
class TimedEngine(Protocol):
    """An engine that can say when it spoke each item of its text (``voxserve.timing``)."""

    def synthesize_timed(self, text: str, voice: Voice, prosody: Prosody) -> Timed:
        """:meth:`Engine.synthesize`, with one mark per item of ``text``: measured where
        ``Timed.measured`` says so, else estimated."""
        ...


PartSink = Callable[[PCM], None]
"""Takes the next samples of an utterance while the rest is still being synthesized."""


@runtime_checkable
class PartsEngine(Protocol):
    """An engine that can hand over an utterance's first samples before it has synthesized the
    rest (for time to first audio), at a loudness known in advance."""

    level_db: float
    """The active RMS level (dBFS) its voice speaks at: the pipeline's loudness gain for its
    output, so that the gain of the first samples is known before the last exist."""

    def synthesize_parts(
        self, text: str, voice: Voice, prosody: Prosody, on_part: PartSink
    ) -> Timed:
        """:meth:`TimedEngine.synthesize_timed`, passing ``on_part`` the samples of the result
        in order as they are ready (possibly none): whatever it was given is a prefix of the
        returned samples."""
        ...


EngineLoader = Callable[[Settings], Engine]
"""Loads an engine (weights and all). Raises ModelMissingError when its assets are absent."""


class EngineSpec(Protocol):
    """How the registry knows an engine before loading it."""

    name: str
    languages: Sequence[str]

    def available(self, settings: Settings) -> bool:
        """Whether the engine's assets are present (cheap: no model loading)."""
        ...

    def load(self, settings: Settings) -> Engine: ...
