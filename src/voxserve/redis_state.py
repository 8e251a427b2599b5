"""The connection to the shared state of a scaled-out service (Redis), and what its outages mean.

Every Redis backend (the sentence cache, the job store, the job queue) builds its client with
:func:`connect` and runs its commands under :func:`unreachable_as_unavailable`, so that a Redis
that is down, too slow, still loading its data or out of memory is one error everywhere:
:class:`~voxserve.errors.SharedStateError`, answered 503 with ``Retry-After`` and never a 500.
redis-py reconnects by itself on the next command, so nothing needs restarting once Redis is back.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, ParamSpec, TypeVar

import redis.asyncio as redis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import OutOfMemoryError, ReadOnlyError
from redis.exceptions import TimeoutError as RedisTimeoutError

from voxserve.errors import SharedStateError
from voxserve.settings import Settings

P = ParamSpec("P")
T = TypeVar("T")

OUTAGES: tuple[type[Exception], ...] = (
    RedisConnectionError,  # refused, reset, still loading its data set (BusyLoadingError)
    RedisTimeoutError,
    OutOfMemoryError,  # maxmemory reached under noeviction: writes refused
    ReadOnlyError,  # a replica that is not (yet) the primary after a failover
    ConnectionError,  # the socket layer's own, should one slip through
)
"""Errors that mean "Redis cannot serve us now", as opposed to a bug in a command."""


def connect(settings: Settings) -> redis.Redis:
    """A client for ``settings.redis_url`` (no connection is made until the first command).

    Timeouts are short and retries few: an operation that needs Redis should fail fast with 503
    rather than hold a request (or the event loop's attention) while Redis is away.
    """
    return redis.Redis.from_url(
        settings.redis_url,
        socket_timeout=settings.redis_timeout_s,
        socket_connect_timeout=settings.redis_timeout_s,
        retry=Retry(ExponentialBackoff(cap=0.2, base=0.02), retries=1),
        health_check_interval=30,
        decode_responses=False,
    )


def unreachable_message(exc: BaseException) -> str:
    """What a client is told when Redis cannot serve it."""
    return (
        f"the service's shared state (Redis) is unreachable ({type(exc).__name__}); retry shortly"
    )


def unreachable_as_unavailable(
    fn: Callable[P, Awaitable[T]],
) -> Callable[P, Coroutine[Any, Any, T]]:
    """Decorate an async method that talks to Redis: outages become SharedStateError."""

    @functools.wraps(fn)
    async def wrapper(*args: P.args, **kwargs: P.kwargs) -> T:
        try:
            return await fn(*args, **kwargs)
        except OUTAGES as exc:
            raise SharedStateError(unreachable_message(exc)) from exc

    return wrapper
