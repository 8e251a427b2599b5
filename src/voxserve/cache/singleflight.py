"""Single-flight: concurrent calls for one key share one computation."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass
class _Flight(Generic[T]):
    task: asyncio.Task[T]
    waiters: int = 0


class SingleFlight(Generic[T]):
    """Runs at most one ``factory`` per key at a time; later callers await the running one.

    The first caller's result or exception goes to every caller. The computation runs in a task
    of its own, so one caller being cancelled (client gone, deadline) leaves it running for the
    others; when the last caller waiting on it is cancelled it is cancelled too, since nobody
    wants its result (for synthesis this frees a worker). A key leaves the table as soon as its
    computation ends, so a later call computes afresh: this is not a cache.
    """

    def __init__(self) -> None:
        self._flights: dict[str, _Flight[T]] = {}

    def __len__(self) -> int:
        """Keys being computed now."""
        return len(self._flights)

    async def run(self, key: str, factory: Callable[[], Awaitable[T]]) -> tuple[T, bool]:
        """``factory()``'s result, and whether it came from another caller's computation."""
        flight = self._flights.get(key)
        shared = flight is not None
        if flight is None:
            flight = _Flight(asyncio.create_task(_call(factory)))
            self._flights[key] = flight
            flight.task.add_done_callback(lambda task: self._finished(key, task))
        flight.waiters += 1
        try:
            result = await asyncio.shield(flight.task)
        except asyncio.CancelledError:
            flight.waiters -= 1
            if flight.waiters == 0 and not flight.task.done():
                # Forget it now, so that a caller arriving before it winds down starts afresh
                # instead of joining a computation that is being cancelled.
                self._forget(key, flight.task)
                flight.task.cancel()
            raise
        flight.waiters -= 1
        return result, shared

    def _finished(self, key: str, task: asyncio.Task[T]) -> None:
        self._forget(key, task)
        if not task.cancelled():
            task.exception()  # retrieved: no "exception was never retrieved" noise

    def _forget(self, key: str, task: asyncio.Task[T]) -> None:
        flight = self._flights.get(key)
        if flight is not None and flight.task is task:
            del self._flights[key]


async def _call(factory: Callable[[], Awaitable[T]]) -> T:
    return await factory()
