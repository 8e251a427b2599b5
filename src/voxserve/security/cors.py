"""CORS: off unless ``cors_origins`` names the browser origins allowed to call the API."""

from __future__ import annotations

from typing import Any

from voxserve.settings import Settings

EXPOSED_HEADERS = (
    "X-Request-Id",
    "X-Audio-Duration",
    "X-Voice",
    "X-Engine",
    "X-Sample-Rate",
    "Retry-After",
    "RateLimit-Limit",
    "RateLimit-Remaining",
    "RateLimit-Reset",
)
"""Response headers that cross-origin pages may read (browsers hide the rest)."""


def origins(settings: Settings) -> list[str]:
    """The allowed origins (``["*"]`` for any); empty when CORS is off."""
    return [o.strip().rstrip("/") for o in settings.cors_origins.split(",") if o.strip()]


def options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for Starlette's ``CORSMiddleware``.

    No credentials (cookies) are allowed: the API authenticates with a bearer header, which a
    cross-origin page must send itself, so a hostile page cannot borrow a user's session.
    """
    return {
        "allow_origins": origins(settings),
        "allow_methods": ["GET", "POST", "OPTIONS"],
        "allow_headers": ["authorization", "content-type", "x-request-id"],
        "expose_headers": list(EXPOSED_HEADERS),
        "allow_credentials": False,
        "max_age": 600,
    }
