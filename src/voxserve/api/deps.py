"""Request-scoped helpers shared by routes: services from app.state, content type, formats.

They are ``async def`` although they await nothing: FastAPI runs a plain ``def`` dependency in
its thread pool, a thread hand-off per dependency per request for what is a dict lookup.
"""

from __future__ import annotations

from typing import cast

from fastapi import Request

from voxserve.api.errors import HTTPInputError
from voxserve.api.service import SpeechService
from voxserve.metrics import Metrics
from voxserve.scheduler.scheduler import Scheduler
from voxserve.settings import Settings

OPENAI_MODELS = ("tts-1", "tts-1-hd", "gpt-4o-mini-tts", "voxserve")


async def speech_service(request: Request) -> SpeechService:
    return cast(SpeechService, request.app.state.speech)


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
