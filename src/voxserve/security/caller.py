"""The caller of the request being served, for limits charged deep inside (text characters)."""

from __future__ import annotations

import contextvars
from dataclasses import dataclass, field

from voxserve.security.limits import Limiter


@dataclass
class Caller:
    """Who is asking (``key:<id>`` or ``addr:<ip>``), their limits, and the rate-limit headers
    gathered so far for the answer."""

    principal: str
    limiter: Limiter
    headers: dict[str, str] = field(default_factory=dict)


current: contextvars.ContextVar[Caller | None] = contextvars.ContextVar("caller", default=None)


async def charge_characters(count: int) -> None:
    """Charge ``count`` characters to the current caller (RateLimitedError when over the daily
    limit); does nothing outside a limited request (the CLI, tests, limits off)."""
    caller = current.get()
    if caller is not None:
        caller.headers.update(await caller.limiter.characters(caller.principal, count))
