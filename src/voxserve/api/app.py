"""The application factory: ``create_app(settings)`` builds a FastAPI app with its own state."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable

from fastapi import FastAPI

from voxserve import __version__
from voxserve.api.errors import ERROR_RESPONSES, install_error_handlers
from voxserve.api.middleware import (
    EarlyAnswerMiddleware,
    LimitsMiddleware,
    ObservabilityMiddleware,
)
from voxserve.api.routes import catalog, health, jobs, lexicons, phonemize, speech, web, ws
from voxserve.api.service import SpeechService
from voxserve.cache.registry import open_cache
from voxserve.jobs.base import JobStore
from voxserve.jobs.queue import EmbeddedJobQueue, JobQueue
from voxserve.jobs.redis_queue import RedisJobQueue
from voxserve.jobs.redis_store import RedisJobStore
from voxserve.jobs.runner import JobRunner
from voxserve.jobs.service import JobService
from voxserve.jobs.sqlite import SqliteJobStore
from voxserve.jobs.webhooks import WebhookSender, load_secret
from voxserve.lexicons import open_store as open_lexicon_store
from voxserve.lexicons.service import LexiconService
from voxserve.metrics import Metrics
from voxserve.pipeline import Planner
from voxserve.scheduler.scheduler import Scheduler
from voxserve.security.install import install_security
from voxserve.settings import Settings
from voxserve.text.tokens import Tokenizer
from voxserve.voices import VoiceCatalog
from voxserve.wyoming.server import serve_wyoming

DESCRIPTION = """Mandarin + English text-to-speech with emotions.

Native API at `/v1/tts`; OpenAI-compatible `/v1/audio/speech`. Errors always have the shape
`{"error": {"code", "message", "param"}}`; 429 and 503 carry `Retry-After`."""


def create_app(settings: Settings | None = None) -> FastAPI:
    """Build the app. Workers start in the lifespan and stop (draining) when it ends."""
    settings = settings or Settings()
    metrics = Metrics()

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            cache = open_cache(settings, metrics)
            if cache is not None:
                await cache.open()
                stack.push_async_callback(cache.close)
            scheduler = Scheduler(settings, metrics, cache)
            app.state.scheduler = scheduler
            stack.push_async_callback(scheduler.close, settings.drain_timeout_s)
            await scheduler.start()
            catalog = VoiceCatalog(scheduler.voices, settings, scheduler.pool.extra_voices)
            planner = Planner(settings, catalog)
            app.state.speech = SpeechService(settings, scheduler, planner, metrics, cache)
            tokenizer = app.state.speech.tokenizer
            app.state.jobs = await _start_jobs(settings, stack, scheduler, planner, tokenizer)
            lexicon_store = await open_lexicon_store(settings)
            stack.push_async_callback(lexicon_store.close)
            app.state.lexicons = LexiconService(settings, lexicon_store)
            if settings.wyoming_port:
                await stack.enter_async_context(serve_wyoming(app.state.speech, app.state.limiter))
            yield

    app = FastAPI(
        title="voxserve",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        responses=ERROR_RESPONSES,
    )
    app.state.settings = settings
    app.state.metrics = metrics
    install_error_handlers(app)
    for module in (speech, phonemize, jobs, lexicons, catalog, health, ws, web):
        app.include_router(module.router)
    app.add_middleware(
        LimitsMiddleware,
        max_bytes=settings.max_body_bytes,
        timeout=settings.upload_timeout_s,
        # UTF-8 takes up to 4 bytes a character, JSON escapes up to 12 (\\uXXXX pairs).
        path_limits={
            "/v1/jobs": settings.max_job_chars * 12 + 64 * 1024,
            "/v1/lexicons": _lexicon_bytes(settings),
            "/v1/lexicons/": _lexicon_bytes(settings),
        },
    )
    install_security(app, settings)  # keys, limits and CORS: outside the body limits
    app.add_middleware(ObservabilityMiddleware, metrics=metrics)
    app.add_middleware(EarlyAnswerMiddleware)  # outermost: sees every early answer
    return app


def _lexicon_bytes(settings: Settings) -> int:
    """The largest lexicon body: its characters JSON-escaped, plus each entry's field names."""
    return settings.lexicon_max_chars * 12 + settings.lexicon_max_entries * 64 + 64 * 1024


async def _start_jobs(
    settings: Settings,
    stack: contextlib.AsyncExitStack,
    scheduler: Scheduler,
    planner: Planner,
    tokenizer: Callable[[], Tokenizer],
) -> JobService:
    """Open the job store and queue (Redis when ``redis_url`` is set, else SQLite and memory),
    resume unfinished jobs; their shutdown joins ``stack``."""
    store: JobStore
    queue: JobQueue
    if settings.redis_url:
        shared = await RedisJobStore.open(settings, settings.data_dir / "jobs")
        store, queue = shared, RedisJobQueue(shared, settings)
    else:
        store = await SqliteJobStore.open(settings.data_dir / "jobs")
        queue = EmbeddedJobQueue(store)
    stack.push_async_callback(store.close)
    sender = WebhookSender(
        load_secret(settings.webhook_secret, settings.data_dir),
        timeout=settings.webhook_timeout_s,
        retry_for=settings.webhook_retry_for_s,
        backoff=settings.webhook_backoff_s,
        allow_private=settings.webhook_allow_private,
    )
    runner = JobRunner(settings, store, scheduler, planner, sender, queue, tokenizer)
    stack.push_async_callback(runner.close)
    await runner.start()
    return JobService(settings, runner, planner, scheduler)
