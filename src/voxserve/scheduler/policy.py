"""The interactive lane's service order, and the admission test that follows from it.

Order: first the *first* unit of every streamed request none of whose units has started yet
(and whose admission found that this keeps every admitted request in time, or, for a stream
admitted to wait its turn, a later check found it), oldest request first (a new stream's first
sentence is not queued behind whole requests: time to first audio); then the remaining units
of the admitted requests, earliest *due time* first, each request's units spread over every
free worker. A request's due time is fixed at admission: when it would finish if it had the
workers to itself (admission time + its work / workers). A short request therefore passes a
long one that arrived shortly before it, and a long one is never passed by a request that
arrives after its due time: it cannot starve.

An admitted request is overtaken only by a request due before it (admitted before its due time
and shorter), or by the first unit of a stream admitted after it; and only when the admission
test has found that it still finishes within its deadline share with that work ahead of it.

The admission test estimates every request's finish time under that order from what the pool
has left to do (:func:`finish_times`): work spreads over the workers, except that a request's
largest remaining unit runs on one worker and cannot be split.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Load:
    """What one admitted (or candidate) request still needs, in seconds of one worker's time."""

    deadline: float | None
    first: float
    """Its first unit, when none of its units has started yet (it goes ahead); else 0."""
    rest: float
    """Its other units still waiting to run."""
    largest: float
    """Its largest unit still waiting to run (it runs on one worker)."""


def finish_times(now: float, workers: int, running: float, loads: Sequence[Load]) -> list[float]:
    """When each of ``loads`` (in deadline order) is expected to finish, ``running`` seconds of
    work being already on the workers.

    A request that is all first unit finishes once the first units up to its own have run; one
    with nothing waiting, once what is running has; any other, once every first unit and the
    rest of every request up to its own have run.
    """
    width = max(1, workers)
    firsts = [load.first for load in loads]
    firsts_all = sum(firsts)
    firsts_to = list(itertools.accumulate(firsts))
    rests_to = list(itertools.accumulate(load.rest for load in loads))
    finishes = []
    for index, load in enumerate(loads):
        if load.rest == 0.0 and load.first == 0.0:
            work = running  # it waits for its units on the workers only
        elif load.rest == 0.0:
            work = running + firsts_to[index]
        else:
            work = running + firsts_all + rests_to[index]
        tail = (1.0 - 1.0 / width) * load.largest
        finishes.append(now + work / width + tail)
    return finishes


def first_audio_wait(workers: int, running: float, loads: Sequence[Load]) -> float:
    """How long a request added after ``loads`` waits before its first unit starts."""
    return (running + sum(load.first for load in loads)) / max(1, workers)


def queue_wait(workers: int, running: float, loads: Sequence[Load], place: int) -> float:
    """How long a request placed at ``place`` in ``loads`` waits for its turn: every first
    unit, and the rest of the requests before it, go first."""
    ahead = sum(load.first for load in loads) + sum(load.rest for load in loads[:place])
    return (running + ahead) / max(1, workers)


@dataclass(frozen=True)
class Verdict:
    """The admission test's answer for one candidate."""

    wait: float
    """Seconds before its first unit starts."""
    finish: float
    """Seconds until it is expected to finish."""
    overrun: float
    """How far past its planned share of a deadline the latest request would finish if the
    candidate were admitted (<= 0: every one in time); counted only for the delay the
    candidate itself causes."""
    own: float = float("-inf")
    """The part of ``overrun`` that is the candidate's own lateness."""
    last_late: int = -1
    """The last admitted request (index) the candidate would make late; -1: none."""


@dataclass(frozen=True)
class Margin:
    """How much of the time left to a deadline the plan keeps in reserve for estimates that
    err: a share of it, and never less than ``reserve`` seconds (near the end, one unit that
    runs long is a large error)."""

    share: float
    """The share of the time left that the plan may use."""
    reserve: float

    def limit(self, now: float, deadline: float) -> float:
        """The latest planned finish for ``deadline``."""
        left = deadline - now
        return deadline - max((1.0 - self.share) * left, min(self.reserve, left / 2))


def judge(
    now: float,
    workers: int,
    running: float,
    admitted: Sequence[Load],
    candidate: Load,
    margin: Margin,
    place: int | None = None,
) -> Verdict:
    """Test ``candidate``, placed at ``place`` among ``admitted`` requests (in service order;
    None: last), against them: each must finish by its :meth:`Margin.limit`. A request alone
    with the pool is never late by this test: refusing it would not help."""
    place = len(admitted) if place is None else place
    before = finish_times(now, workers, running, admitted)
    after = finish_times(now, workers, running, [*admitted[:place], candidate, *admitted[place:]])
    mine = after.pop(place) - now
    overrun, last_late = float("-inf"), -1
    for index, (load, old, new) in enumerate(zip(admitted, before, after, strict=True)):
        if load.deadline is None or new <= old:
            continue
        delay = min(new - margin.limit(now, load.deadline), new - old)
        overrun = max(overrun, delay)
        last_late = index if delay > 0 else last_late
    own = float("-inf")
    if candidate.deadline is not None:
        # Only the lateness that waiting causes: a request too long for its deadline even with
        # the pool to itself would fail again on retry, so it is not refused for that.
        alone = finish_times(now, workers, 0.0, [candidate])[0] - now
        late = now + mine - margin.limit(now, candidate.deadline)
        own = min(late, mine - alone)
    wait = first_audio_wait(workers, running, admitted)
    return Verdict(wait, mine, max(overrun, own), own, last_late)


def place_for(
    now: float,
    workers: int,
    running: float,
    admitted: Sequence[Load],
    candidate: Load,
    margin: Margin,
    place: int,
) -> tuple[int, Verdict]:
    """Where ``candidate`` goes: at ``place`` (its due time's) when :func:`judge` finds every
    request in time there; else behind the last admitted request it would make late, if it is
    itself in time there (it yields to them rather than being refused). Returns the place and
    its verdict (the verdict at ``place`` when no place is in time)."""
    verdict = judge(now, workers, running, admitted, candidate, margin, place)
    later = verdict
    for _ in range(3):
        if later.overrun <= 0 or later.own > 0 or later.last_late < 0:
            break
        # Behind that request the candidate delays it no more (nor those before it); those
        # after may be late now, so look again, a few times at most (each look is linear).
        behind = later.last_late + 1
        later = judge(now, workers, running, admitted, candidate, margin, behind)
        if later.overrun <= 0:
            return behind, later
    return place, verdict


def due(now: float, workers: int, load: Load) -> float:
    """When ``load`` would finish with the workers to itself: its place in the order."""
    return now + (load.first + load.rest) / max(1, workers)
