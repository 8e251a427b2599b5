"""Request-scoped helpers shared by routes: services from app.state, content type, formats.

They are ``async def`` although they await nothing: FastAPI runs a plain ``def`` dependency in
its thread pool, a thread hand-off per dependency per request for what is a dict lookup.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import cast

from fastapi import Request

from voxserve.api.errors import HTTPInputError
from voxserve.api.service import SpeechService
from voxserve.lexicons.service import LexiconService
from voxserve.metrics import Metrics
from voxserve.scheduler.scheduler import Scheduler
from voxserve.settings import Settings
from voxserve.text.lexicon import Lexicon

OPENAI_MODELS = ("tts-1", "tts-1-hd", "gpt-4o-mini-tts", "voxserve")


async def speech_service(request: Request) -> SpeechService:
    return cast(SpeechService, request.app.state.speech)


async def lexicon_service(request: Request) -> LexiconService:
    return cast(LexiconService, request.app.state.lexicons)


def owner_of(scope_state: object) -> str | None:
    """Whose jobs and lexicons a caller sees: its API key when keys are required (``key:<id>``),
    else everyone's (None)."""
    principal = getattr(scope_state, "principal", None)
    if principal is None and isinstance(scope_state, dict):
        principal = scope_state.get("principal")
    return principal if isinstance(principal, str) and principal.startswith("key:") else None


async def owner(request: Request) -> str | None:
    return owner_of(request.state)


async def lexicon_for(request: Request, names: Sequence[str]) -> Lexicon:
    """The pronunciations of the lexicons a request names (the caller's own)."""
    if not names:
        return Lexicon()
    service = cast(LexiconService, request.app.state.lexicons)
    return await service.resolve(names, owner_of(request.state))


async def scheduler(request: Request) -> Scheduler:
    return cast(Scheduler, request.app.state.scheduler)


async def metrics(request: Request) -> Metrics:
    return cast(Metrics, request.app.state.metrics)


async def settings(request: Request) -> Settings:
    return cast(Settings, request.app.state.settings)


async def require_json(request: Request) -> None:
    """415 unless the body is declared as JSON."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/json" and not kind.endswith("+json"):
        raise HTTPInputError(
            415, "unsupported_media_type", "send the request body as application/json"
        )
