"""What a stage's time window alone does to goodput at 10 users: the load benchmark's stage
replayed in a model, for whole-request service (Flask + gunicorn) and for voxserve's orders.

    .venv/bin/python bench/window_model.py [--users 10] [--seconds 15]
        [--workload neutral,emotional] [--repeats 300] [--jitter 0.1,0.25] [--json out.json]

The engine's cost of every unit the load benchmark sends is measured once, here, with
voxserve's own planner and ``Synthesizer`` (one process, one engine thread): the units of each
text of the corpus (with each emotion, under the emotional workload), their render time and
their audio. The model then plays one stage: ``--users`` closed-loop users with the benchmark's
own text order (its seed is the number of users, as in ``bench/loadgen/runner.py``), two
synthesis processes, each unit taking its measured time times a random factor (log-normal,
each ``--jitter``), and counts the audio of the requests finished inside the window, as the
benchmark does. Nothing else costs time: no HTTP, no front process, no scheduling overhead.

Orders: ``whole`` is a server whose processes each take the oldest whole request (Flask +
gunicorn, the FastAPI baseline); ``due`` is voxserve's lane for whole files (earliest due time
first, each request's units spread over free processes); ``arrival`` orders that lane by
arrival instead. The ratios to ``whole`` tell how much an order gains or loses through the
window alone: the work a server has half done when the window closes is lost to the count, and
an order that serves short requests first finishes more of them inside the window, whose audio
costs more engine time per second (each sentence has a fixed cost), while long ones wait past
its end. Over a whole batch (``bench/saturation.py``) neither effect exists.
"""

from __future__ import annotations

import argparse
import functools
import heapq
import itertools
import json
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent / "src")]

from loadgen.corpus import CORPUS  # noqa: E402
from loadgen.workload import EMOTIONS, WORKLOADS, parse_list, request_stream  # noqa: E402

ORDERS = ("whole", "due", "arrival")
TURNAROUND_S = 0.003
"""From one answer to the user's next request (client, network and HTTP)."""
RAMP_S = 0.5
"""Users start spread over this long, as the benchmark's (``LoadSpec.ramp_seconds``)."""


@dataclass(frozen=True)
class Cost:
    """One request's measured work: each unit's render seconds, and its audio seconds."""

    units: tuple[float, ...]
    audio: float


Costs = dict[tuple[str, str | None], Cost]


def measure(workload: str) -> Costs:
    """Render every (text, emotion) the workload sends, once, after a warm-up."""
    from voxserve.pipeline import Synthesizer
    from voxserve.settings import Settings
    from voxserve.types import SynthesisRequest

    synthesizer = Synthesizer.load(Settings(engines="baker-zh", engine_threads=1))
    emotions = (None, *EMOTIONS) if workload == "emotional" else (None,)
    costs: Costs = {}
    for text, emotion in itertools.product(CORPUS, emotions):
        request = SynthesisRequest(text=text, emotion=emotion or "neutral")
        plan = synthesizer.plan(request)
        if text == CORPUS[0]:
            synthesizer.render_unit(plan.units[0])  # warm the path this emotion takes, once
        seconds, audio = [], 0.0
        for unit in plan.units:
            started = time.perf_counter()
            pcm = synthesizer.render_unit(unit).pcm
            seconds.append(time.perf_counter() - started)
            audio += len(pcm) / plan.sample_rate
        costs[(text, emotion)] = Cost(tuple(seconds), audio)
    return costs


Requests = Iterator[tuple[str, str | None]]


@dataclass(eq=False)
class _Request:
    requests: Requests
    """Its user's requests to come."""
    cost: Cost
    arrived: float
    due: float
    waiting: list[float]
    running: int = 0


@dataclass
class _Stage:
    """One stage of the model: an event queue over virtual time."""

    order: str
    costs: Costs
    workload: str
    users: int
    seconds: float
    workers: int
    jitter: random.Random
    spread: float
    events: list[tuple[float, int, Callable[[float], None]]] = field(default_factory=list)
    lane: list[_Request] = field(default_factory=list)
    free: int = 0
    audio: float = 0.0
    _tick: int = 0

    def at(self, when: float, action: Callable[[float], None]) -> None:
        self._tick += 1
        heapq.heappush(self.events, (when, self._tick, action))

    def run(self) -> float:
        self.free = self.workers
        for user in range(self.users):
            stream = request_stream(self.users * 100_003 + user, self.workload, offset=user)
            self.at(RAMP_S * user / self.users, functools.partial(self._arrive, stream))
        while self.events:
            now, _, action = heapq.heappop(self.events)
            if now > self.seconds:
                break
            action(now)
            self._dispatch(now)
        return self.audio / self.seconds

    def _arrive(self, requests: Requests, now: float) -> None:
        cost = self.costs[next(requests)]
        due = now + sum(cost.units) / self.workers
        self.lane.append(_Request(requests, cost, now, due, list(cost.units)))

    def _key(self, request: _Request) -> tuple[float, ...]:
        if self.order == "due":
            return (request.due, request.arrived)
        return (request.arrived,)  # arrival, and whole: oldest first

    def _dispatch(self, now: float) -> None:
        while self.free:
            ready = [r for r in self.lane if r.waiting]
            if not ready:
                return
            request = min(ready, key=self._key)
            if self.order == "whole":
                work, request.waiting = sum(request.waiting), []
            else:
                work = request.waiting.pop(0)
            request.running += 1
            self.free -= 1
            finish = now + work * self.jitter.lognormvariate(0.0, self.spread)
            self.at(finish, functools.partial(self._done, request))

    def _done(self, request: _Request, now: float) -> None:
        self.free += 1
        request.running -= 1
        if request.running or request.waiting:
            return
        self.lane.remove(request)
        self.audio += request.cost.audio
        self.at(now + TURNAROUND_S, functools.partial(self._arrive, request.requests))


def goodput(costs: Costs, order: str, repeat: int, args: argparse.Namespace) -> float:
    """Audio seconds per second finished inside one modelled stage."""
    stage = _Stage(
        order,
        costs,
        args.workload,
        args.users,
        args.seconds,
        args.workers,
        random.Random(repeat),
        args.jitter,
    )
    return stage.run()


def compare(costs: Costs, args: argparse.Namespace) -> dict[str, Any]:
    """Each order's goodput over ``args.repeats`` stages (stage ``r`` of every order draws
    its jitter from seed ``r``), and its ratio to ``whole``: mean, median, and how often >= 1."""
    runs = {o: [goodput(costs, o, r, args) for r in range(args.repeats)] for o in ORDERS}
    summary: dict[str, Any] = {}
    for order, values in runs.items():
        ratios = [v / w for v, w in zip(values, runs["whole"], strict=True)]
        summary[order] = {
            "goodput_mean": statistics.fmean(values),
            "ratio_to_whole_mean": statistics.fmean(ratios),
            "ratio_to_whole_median": statistics.median(ratios),
            "share_at_least_whole": sum(r >= 1.0 for r in ratios) / len(ratios),
        }
    return summary


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--workload", default="neutral,emotional")
    parser.add_argument("--repeats", type=int, default=300)
    parser.add_argument("--jitter", default="0.1,0.25", help="log-normal sigmas, comma-separated")
    parser.add_argument("--json", type=Path)
    args = parser.parse_args(argv)
    workloads = parse_list(args.workload, WORKLOADS, "--workload")
    result: dict[str, Any] = {"settings": {k: str(v) for k, v in vars(args).items()}}
    for workload in workloads:
        costs = measure(workload)
        for spread in (float(j) for j in args.jitter.split(",")):
            run = argparse.Namespace(**{**vars(args), "workload": workload, "jitter": spread})
            result[f"{workload}, jitter {spread:g}"] = compare(costs, run)
    print(json.dumps(result, indent=2))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
