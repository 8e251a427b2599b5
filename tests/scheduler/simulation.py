"""The real :class:`Scheduler` driven by fake workers on a simulated clock.

Workers "render" a unit in the seconds ``true_cost`` says; the simulation jumps from one event
(an arrival, a unit finished) to the next, so a minute of load runs in milliseconds.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, cast

import numpy as np

from voxserve.errors import OverloadedError
from voxserve.metrics import Metrics
from voxserve.pipeline import RunTask, SynthesisPlan, UnitTask
from voxserve.scheduler.protocol import Render, Rendered, Stop
from voxserve.scheduler.scheduler import Scheduler
from voxserve.scheduler.tickets import Ticket
from voxserve.settings import Settings
from voxserve.timing import Timed
from voxserve.types import NEUTRAL_PROSODY, Prosody, Voice

VOICE = Voice("v", "fake", "zh", "fake", 1000)
_SILENCE = Timed(np.zeros(10, dtype=np.float32), np.zeros((0, 2), dtype=np.int64)).pack()


def plan(*units: str, prosody: Prosody = NEUTRAL_PROSODY, voice: Voice = VOICE) -> SynthesisPlan:
    tasks = tuple(
        UnitTask(i, text, (RunTask(text, voice),), prosody, 0.0, 1000)
        for i, text in enumerate(units)
    )
    return SynthesisPlan(voice, 1000, tasks)


@dataclass(eq=False)
class FakeWorker:
    background: bool = False
    job: object | None = None
    sent: list[Render] = field(default_factory=list)

    def send(self, message: Render | Stop) -> None:
        assert isinstance(message, Render)
        self.sent.append(message)


@dataclass
class Outcome:
    """What became of one request."""

    arrived: float
    ticket: Ticket | None
    refused: OverloadedError | None = None
    first_done: float | None = None
    finished: float | None = None


class Simulation:
    def __init__(self, settings: Settings, true_cost: Callable[[UnitTask], float]) -> None:
        self.now = 0.0
        self.true_cost = true_cost
        self.scheduler = Scheduler(settings, Metrics(), clock=lambda: self.now)
        self.workers = [FakeWorker() for _ in range(settings.workers)]
        self.scheduler.pool.workers = cast(Any, self.workers)
        self.busy: dict[FakeWorker, float] = {}
        self.outcomes: list[Outcome] = []
        self.order: list[tuple[int, int]] = []
        """(request number, unit index) in the order units were sent to workers."""
        for worker in self.workers:
            self.scheduler.worker_ready(cast(Any, worker))

    async def arrive(self, request: SynthesisPlan, stream: bool = True) -> Outcome:
        try:
            ticket = await self.scheduler._admit(request, background=False, stream=stream)
        except OverloadedError as exc:
            outcome = Outcome(self.now, None, exc)
        else:
            outcome = Outcome(self.now, ticket)
            self.scheduler._dispatch()
        self.outcomes.append(outcome)
        self._track()
        return outcome

    def _track(self) -> None:
        for worker in self.workers:
            if worker.job is not None and worker not in self.busy:
                job = cast(Any, worker.job)
                self.busy[worker] = self.now + self.true_cost(job.task)
                owner = next(i for i, o in enumerate(self.outcomes) if o.ticket in job.tickets)
                self.order.append((owner, job.task.index))

    def step(self) -> bool:
        """Finish the next unit; False when every worker is idle."""
        if not self.busy:
            return False
        worker = min(self.busy, key=lambda w: self.busy[w])
        self.now = self.busy.pop(worker)
        job = cast(Any, worker.job)
        self.scheduler.worker_message(cast(Any, worker), Rendered(job.id, _SILENCE, 0.0))
        self._settle()
        self._track()
        return True

    def _settle(self) -> None:
        for outcome in self.outcomes:
            ticket = outcome.ticket
            if ticket is None or outcome.finished is not None:
                continue
            if outcome.first_done is None and ticket.jobs[0].future.done():
                outcome.first_done = self.now
            if all(job.future.done() for job in ticket.jobs):
                outcome.finished = self.now
                self.scheduler._release(ticket, "unused")
