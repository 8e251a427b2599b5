"""Put the security middleware on an app, in the right order."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from voxserve.redis_state import connect
from voxserve.security import cors
from voxserve.security.keys import store_for
from voxserve.security.limits import LimitBackend, Limiter
from voxserve.security.middleware import AccessMiddleware
from voxserve.security.redis_limits import RedisLimitBackend
from voxserve.settings import Settings


def limit_backend(settings: Settings) -> LimitBackend | None:
    """Shared limits when replicas share a Redis; None (this process's memory) otherwise."""
    if not settings.redis_url:
        return None
    return RedisLimitBackend(connect(settings), settings.redis_prefix + "limits:")


def install_security(app: FastAPI, settings: Settings) -> None:
    """Add API keys + limits, then CORS outside them (preflight requests carry no key, and a
    refusal must still carry CORS headers for the browser to show it to the page)."""
    limiter = Limiter(settings, limit_backend(settings))
    app.state.limiter = limiter
    keys = store_for(settings.data_dir)
    app.add_middleware(AccessMiddleware, settings=settings, keys=keys, limiter=limiter)
    if cors.origins(settings):
        app.add_middleware(CORSMiddleware, **cors.options(settings))
