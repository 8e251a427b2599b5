"""Put the security middleware on an app, in the right order."""

from __future__ import annotations

from fastapi import FastAPI
from starlette.middleware.cors import CORSMiddleware

from voxserve.security import cors
from voxserve.security.keys import store_for
from voxserve.security.limits import Limiter
from voxserve.security.middleware import AccessMiddleware
from voxserve.settings import Settings


def install_security(app: FastAPI, settings: Settings) -> None:
    """Add API keys + limits, then CORS outside them (preflight requests carry no key, and a
    refusal must still carry CORS headers for the browser to show it to the page)."""
    limiter = Limiter(settings)
    app.state.limiter = limiter
    keys = store_for(settings.data_dir)
    app.add_middleware(AccessMiddleware, settings=settings, keys=keys, limiter=limiter)
    if cors.origins(settings):
        app.add_middleware(CORSMiddleware, **cors.options(settings))
