"""Admission: processor-sharing finish estimates, waits, and the deadlines of admitted requests."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any, cast

from voxserve.errors import OverloadedError
from voxserve.metrics import Metrics
from voxserve.scheduler.scheduler import Scheduler, _SharingEstimate
from voxserve.settings import Settings


def test_sharing_estimate_sums_the_smaller_of_each_pair() -> None:
    estimate = _SharingEstimate([1.0, 4.0, 10.0])
    assert estimate.delay(0.5) == 1.5  # three requests, each ahead by half a second
    assert estimate.delay(4.0) == 1.0 + 4.0 + 4.0
    assert estimate.delay(20.0) == 15.0
    assert _SharingEstimate([]).delay(3.0) == 0.0


@dataclass(eq=False)
class FakeTicket:
    remaining_chars: int
    deadline: float | None


def _check(settings: Settings, queued: list[tuple[int, float]], chars: int) -> float | None:
    """Retry-After of a refusal of ``chars`` characters behind ``queued`` (chars, seconds left
    to its deadline) requests, or None when admitted. One character = 1 s of the pool's time."""

    async def run() -> float | None:
        scheduler = Scheduler(settings, Metrics())
        scheduler.seconds_per_char = 1.0 * settings.workers
        now = asyncio.get_running_loop().time()
        tickets = {FakeTicket(c, now + left) for c, left in queued}
        scheduler._tickets = cast(Any, tickets)
        try:
            scheduler._check_capacity(chars)
        except OverloadedError as exc:
            return exc.retry_after
        return None

    return asyncio.run(run())


SETTINGS = Settings(workers=2, max_queue_wait_s=5, request_timeout_s=10)


def test_idle_server_admits_even_what_outlasts_the_deadline() -> None:
    assert _check(SETTINGS, [], 30) is None  # refusing would not help: retrying fails again


def test_a_wait_over_the_limit_is_refused() -> None:
    assert _check(SETTINGS, [(3, 11), (3, 11)], 2) is None  # waits 4 s, done at 6 s of 8 s
    retry = _check(SETTINGS, [(3, 11), (3, 11)], 3)  # would wait 6 s > 5 s
    assert retry is not None and retry >= 1


def test_a_newcomer_that_would_make_an_admitted_request_late_is_refused() -> None:
    # An admitted request with 4 s of work left finishes at 5 s beside a 1 s newcomer: in time
    # with 9 s to its deadline (planned: 0.8 x 9 = 7.2 s), late with 6 s (4.8 s).
    assert _check(SETTINGS, [(4, 9)], 1) is None  # 4 + 1 = 5 s <= 7.2 s
    assert _check(SETTINGS, [(4, 6)], 1) is not None  # 5 s > 4.8 s
