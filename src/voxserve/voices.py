"""The voice catalog: every voice of the loaded engines, looked up by id or alias."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Protocol, runtime_checkable

from voxserve.engines.base import Engine
from voxserve.errors import UnknownVoiceError
from voxserve.settings import Settings
from voxserve.types import Voice


@runtime_checkable
class VoiceFinder(Protocol):
    """An engine that accepts voice ids beyond its listed ones (e.g. any ``espeak:<name>``)."""

    def extra_voice_ids(self) -> list[str]:
        """The ids it accepts beyond :meth:`Engine.voices` (not listed, but resolvable)."""
        ...

    def resolve_voice(self, voice_id: str) -> Voice:
        """The voice for ``voice_id``; raises UnknownVoiceError."""
        ...


class VoiceCatalog:
    """Resolves the voice a request names (or the default) to a :class:`Voice`.

    Language codes (``zh``, ``en``) are aliases of the configured default voice for that language.
    """

    def __init__(
        self, voices: Iterable[Voice], settings: Settings, extra: Iterable[Voice] = ()
    ) -> None:
        self._voices = {v.id: v for v in voices}
        self._extra = {v.id: v for v in extra}
        self._aliases = {
            lang: vid for lang, vid in settings.default_voices.items() if vid in self._voices
        }
        self._default = settings.default_voice

    @classmethod
    def from_engines(cls, engines: Mapping[str, Engine], settings: Settings) -> VoiceCatalog:
        voices = [v for e in engines.values() for v in e.voices()]
        finders = [e for e in engines.values() if isinstance(e, VoiceFinder)]
        extra = [f.resolve_voice(vid) for f in finders for vid in f.extra_voice_ids()]
        return cls(voices, settings, extra)

    def extra(self) -> list[Voice]:
        """Voices that resolve by id but are not listed (any espeak voice, say)."""
        return list(self._extra.values())

    def all(self) -> list[Voice]:
        """The listed voices, in a stable order."""
        return list(self._voices.values())

    def default_for(self, language: str) -> Voice | None:
        """The voice that speaks ``language`` runs other voices cannot, if one is loaded."""
        vid = self._aliases.get(language)
        return self._voices[vid] if vid else None

    def resolve(self, voice_id: str | None) -> Voice:
        """The voice for ``voice_id`` (None: the default). Raises UnknownVoiceError."""
        if voice_id is None or voice_id == "":
            voice_id = self._default if self._default in self._voices else next(iter(self._voices))
        voice_id = self._aliases.get(voice_id, voice_id)
        found = self._voices.get(voice_id) or self._extra.get(voice_id)
        if found is not None:
            return found
        raise UnknownVoiceError(voice_id, [*self._voices, *self._aliases])
