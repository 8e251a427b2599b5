"""A unit's early parts on their way to a stream (voxserve.scheduler.tickets)."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable, Coroutine
from typing import Any

import numpy as np
import pytest

from voxserve.errors import DeadlineExceededError
from voxserve.pipeline import UnitTask
from voxserve.scheduler.scheduler import _wants_parts
from voxserve.scheduler.tickets import Ticket, UnitJob
from voxserve.timing import NO_MARKS, Timed
from voxserve.types import NEUTRAL_PROSODY

TASK = UnitTask(0, "你好。", (), NEUTRAL_PROSODY, 0.0, 24000)


def _run(test: Callable[[], Coroutine[Any, Any, None]]) -> Callable[[], None]:
    """A coroutine test run in its own event loop (as tests/scheduler/test_admission.py)."""

    @functools.wraps(test)
    def run() -> None:
        asyncio.run(test())

    return run


def _job() -> UnitJob:
    return UnitJob(TASK, asyncio.get_running_loop().create_future())


def _samples(start: int, stop: int) -> Any:
    return np.arange(start, stop, dtype=np.float32)


async def _collect(ticket: Ticket) -> list[Any]:
    return [piece async for piece in ticket.pieces()]


@_run
async def test_parts_then_the_rest_of_each_unit_in_order() -> None:
    first, second = _job(), _job()
    ticket = Ticket(None, [first, second], None)  # type: ignore[arg-type]
    reading = asyncio.create_task(_collect(ticket))
    first.add_part(_samples(0, 10))
    await asyncio.sleep(0)
    first.add_part(_samples(10, 25))
    second.future.set_result(Timed(_samples(100, 130), NO_MARKS))  # done early: waits its turn
    first.future.set_result(Timed(_samples(0, 40), NO_MARKS))
    pieces = await reading
    assert [len(p) for p in pieces] == [10, 15, 15, 30]
    assert np.array_equal(np.concatenate(pieces[:3]), _samples(0, 40))


@_run
async def test_a_retried_render_does_not_repeat_the_parts_given() -> None:
    job = _job()
    job.add_part(_samples(0, 10))
    job.add_part(_samples(10, 20))
    job.attempt_samples = 0  # the worker died; another renders the unit again
    job.add_part(_samples(0, 15))  # the same first samples, and five new ones
    job.add_part(_samples(15, 30))
    assert np.array_equal(np.concatenate(job.parts), _samples(0, 30))


@_run
async def test_waiting_for_parts_keeps_the_deadline() -> None:
    job = _job()
    loop = asyncio.get_running_loop()
    ticket = Ticket(None, [job], loop.time() + 0.05)  # type: ignore[arg-type]
    with pytest.raises(DeadlineExceededError):
        await _collect(ticket)
    assert not job.future.done()  # the unit is not cancelled for a waiter that gave up


@_run
async def test_only_the_first_unit_of_a_ticket_that_asked_comes_in_parts() -> None:
    first, second = _job(), _job()
    asked = Ticket(None, [first, second], None)  # type: ignore[arg-type]
    asked.parts = True
    first.tickets.append(asked)
    second.tickets.append(asked)
    assert _wants_parts(first) and not _wants_parts(second)
    asked.parts = False
    assert not _wants_parts(first)
