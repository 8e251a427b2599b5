"""The application factory: ``create_app(settings)`` builds a FastAPI app with its own state."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from voxserve import __version__
from voxserve.api.errors import install_error_handlers
from voxserve.api.middleware import LimitsMiddleware, ObservabilityMiddleware
from voxserve.api.routes import catalog, health, speech, web, ws
from voxserve.api.service import SpeechService
from voxserve.metrics import Metrics
from voxserve.pipeline import Planner
from voxserve.scheduler.scheduler import Scheduler
from voxserve.settings import Settings
from voxserve.voices import VoiceCatalog

DESCRIPTION = """Mandarin + English text-to-speech with emotions.

Native API at `/v1/tts`; OpenAI-compatible `/v1/audio/speech`. Errors always have the shape
`{"error": {"code", "message", "param"}}`; 429 and 503 carry `Retry-After`."""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. Workers start in the lifespan and stop (draining) when it ends."""
    settings = settings or Settings()
    metrics = Metrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        scheduler = Scheduler(settings, metrics)
        app.state.scheduler = scheduler
        try:
            await scheduler.start()
            catalog = VoiceCatalog(scheduler.voices, settings, scheduler.pool.extra_voices)
            app.state.speech = SpeechService(
                settings, scheduler, Planner(settings, catalog), metrics
            )
            yield
        finally:
            await scheduler.close(settings.drain_timeout_s)

    app = FastAPI(title="voxserve", version=__version__, description=DESCRIPTION, lifespan=lifespan)
    app.state.settings = settings
    app.state.metrics = metrics
    install_error_handlers(app)
    for module in (speech, catalog, health, ws, web):
        app.include_router(module.router)
    app.add_middleware(
        LimitsMiddleware, max_bytes=settings.max_body_bytes, timeout=settings.upload_timeout_s
    )
    app.add_middleware(ObservabilityMiddleware, metrics=metrics)
    return app
