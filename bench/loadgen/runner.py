"""A whole benchmark run: generator overhead, raw capacity, then every target stage by stage.

Each stage of each HTTP target runs on a freshly started, warmed-up server, so that no stage
inherits the backlog of the one before (a server without admission control may still be
working through abandoned requests long after their clients gave up).

One run may hold several sections: every target measured again at another speed (``--slowdown
half``: CPU-burning neighbours beside every stage and raw-capacity run, ``slowdown.py``) or
with another workload (``--workload emotional``, ``workload.py``).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import aiohttp

from .client import LoadSpec, request_once, run_stage
from .corpus import CORPUS
from .procstat import ResourceSampler
from .slowdown import SLOWDOWNS, SPEED_TITLES, Neighbours
from .stats import Sample, resource_summary, stage_stats
from .targets import TARGETS, Launch, Running, Target, start_trivial
from .workload import emotion_for

RAW_SCRIPT = Path(__file__).resolve().parent / "raw.py"


@dataclass(frozen=True)
class Profile:
    """Stage lengths of a run; the stages (virtual users) are the study's."""

    name: str
    stage_seconds: float
    raw_seconds: float
    overhead_seconds: float
    users: tuple[int, ...] = (10, 30, 50, 100)
    overhead_users: tuple[int, ...] = (1, 10, 50, 100)
    warmup_requests: int = 2
    """Requests each of 2 x workers warm-up users sends before a stage (not measured)."""


PROFILES: dict[str, Profile] = {
    # quick: every target in under 10 minutes on 2 cores; full: one-minute stages.
    "quick": Profile("quick", stage_seconds=15.0, raw_seconds=20.0, overhead_seconds=3.0),
    "full": Profile("full", stage_seconds=60.0, raw_seconds=60.0, overhead_seconds=10.0),
}


@dataclass(frozen=True)
class RunConfig:
    """Everything a run needs; ``targets`` names ``overhead``, ``raw`` and keys of TARGETS."""

    profile: Profile
    targets: tuple[str, ...]
    launch: Launch
    users: tuple[int, ...]
    timeout: float = 10.0
    """The client timeout, which is also the deadline of goodput (and voxserve's)."""
    log_dir: Path | None = None
    slowdown: str = "none"
    """A key of ``slowdown.SLOWDOWNS``: ``half`` runs CPU-burning neighbours beside every
    stage and raw-capacity run."""
    workload: str = "neutral"
    """A key of ``workload.WORKLOADS``."""
    neighbour_nice: int = 5
    """Niceness of the CPU neighbours: the synthesis processes' (``VOXSERVE_WORKER_NICE``),
    so that each gets half of its core."""

    @property
    def section(self) -> str:
        """``<slowdown>-<workload>``: names this configuration's logs and plots."""
        return f"{self.slowdown}-{self.workload}"

    def launch_for(self, name: str, users: int) -> Launch:
        log = self.log_dir / f"{self.section}-{name}-{users}.log" if self.log_dir else None
        return Launch(self.launch.workers, self.launch.env, self.launch.voxserve_env, log)


def _compact(samples: list[Sample]) -> list[list[Any]]:
    """Samples as short rows for the JSON: start, end, kind, status, ttfa, audio seconds,
    characters of the text."""
    return [
        [
            round(s.start, 4),
            round(s.end, 4),
            s.kind,
            s.status,
            None if s.ttfa is None else round(s.ttfa, 4),
            round(s.audio_s, 3),
            s.chars,
        ]
        for s in samples
    ]


def _relative(rows: list[dict[str, float]], origin: float) -> list[dict[str, float]]:
    return [{**r, "t": round(r["t"] - origin, 3)} for r in rows]


@contextlib.contextmanager
def neighbours(config: RunConfig) -> Iterator[dict[str, Any]]:
    """CPU-burning neighbours for ``config.slowdown`` while the block runs (none for
    ``none``); the dict yielded receives what they used once they are stopped."""
    used: dict[str, Any] = {}
    per_core = SLOWDOWNS[config.slowdown]
    if not per_core:
        yield used
        return
    burners = Neighbours(per_core, config.neighbour_nice).start()
    try:
        yield used
    finally:
        used.update(burners.stop())


async def _measured_stage(
    running: Running, spec: LoadSpec, deadline: float | None = None
) -> dict[str, Any]:
    """Run one stage against ``running`` while sampling its process tree."""
    sampler = ResourceSampler(running.pid, interval=min(0.5, spec.seconds / 5))
    sampler.start()
    run = await run_stage(spec)
    rows = await sampler.stop()
    stats = stage_stats(run.samples, spec.users, spec.seconds, run.in_flight_at_end, deadline)
    stats.resources = resource_summary(rows, run.started_at, run.started_at + spec.seconds)
    return {
        **stats.to_json(),
        "samples": _compact(run.samples),
        "series": _relative(rows, run.started_at),
    }


async def _warm_up(
    url: str, workers: int, requests: int, stream: bool, workload: str = "neutral"
) -> None:
    """Every synthesis process speaks a few corpus texts (with the workload's emotions) before
    the clock starts."""
    # A generous timeout: a first request may pay for lazy initialisation.
    spec = LoadSpec(url, users=1, seconds=0.0, stream=stream, timeout=60.0)
    texts = [t for t in CORPUS if 30 <= len(t) <= 90]

    async def one(index: int) -> None:
        async with aiohttp.ClientSession() as session:
            for k in range(requests):
                position = index * requests + k
                emotion = emotion_for(workload, position)
                await request_once(session, spec, texts[position % len(texts)], 0.0, emotion)

    await asyncio.gather(*(one(i) for i in range(2 * workers)))


async def measure_stage(target: Target, users: int, config: RunConfig) -> dict[str, Any]:
    """One stage of one target on a fresh server (beside CPU neighbours from before the server
    starts until it has stopped, when the configuration slows the machine down)."""
    launch = config.launch_for(target.name, users)
    with neighbours(config) as used:
        running = await asyncio.to_thread(target.start, launch)
        try:
            workers, profile = launch.workers, config.profile
            await _warm_up(
                running.url, workers, profile.warmup_requests, target.stream, config.workload
            )
            spec = LoadSpec(
                running.url,
                users,
                profile.stage_seconds,
                timeout=config.timeout,
                stream=target.stream,
                workload=config.workload,
                seed=users,
            )
            stage = await _measured_stage(running, spec, config.timeout)
        finally:
            await asyncio.to_thread(running.stop)
    if used:
        stage["neighbours"] = used
    return stage


async def measure_overhead(config: RunConfig) -> dict[str, Any]:
    """The generator against the trivial endpoint: its request rate and CPU per request."""
    running = await asyncio.to_thread(start_trivial, config.launch_for("trivial", 0))
    stages = []
    try:
        for users in config.profile.overhead_users:
            spec = LoadSpec(
                running.url, users, config.profile.overhead_seconds, path="/", method="GET"
            )
            stage = await _measured_stage(running, spec)
            stage.pop("samples")  # thousands of 1 ms requests: the summary says it all
            res = stage["resources"]
            cpu_s = res.get("generator_cpu_pct_mean", 0.0) / 100 * spec.seconds
            stage["generator_cpu_ms_per_request"] = 1000 * cpu_s / max(1, stage["requests"])
            _progress("overhead", stage)
            stages.append(stage)
    finally:
        await asyncio.to_thread(running.stop)
    return {"stages": stages}


async def _raw_once(config: RunConfig, seconds: float) -> dict[str, Any]:
    argv = [str(RAW_SCRIPT), "--workers", str(config.launch.workers), "--seconds", str(seconds)]
    argv += ["--workload", config.workload]
    env = {**os.environ, **config.launch.env}
    with neighbours(config) as used:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, *argv, env=env, stdout=asyncio.subprocess.PIPE
        )
        sampler = ResourceSampler(proc.pid, interval=min(0.5, seconds / 5))
        sampler.start()
        out, _ = await proc.communicate()
        rows = await sampler.stop()
    if proc.returncode != 0:
        raise RuntimeError(f"raw capacity run failed with {proc.returncode}")
    raw: dict[str, Any] = json.loads(out)
    start, end = raw["window"]
    raw["resources"] = resource_summary(rows, start, end)
    raw["series"] = _relative(rows, start)
    if used:
        raw["neighbours"] = used
    print(
        f"[{config.section}] raw: {raw['qps']:.2f} req/s, {raw['audio_s_per_s']:.1f} audio s/s",
        flush=True,
    )
    return raw


def combine_raw(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Raw capacity over several runs (before and after the servers): the means, and each run,
    whose spread shows how much the machine's speed drifted during the benchmark."""
    first = runs[0]
    out: dict[str, Any] = {
        "workers": first["workers"],
        "seconds": sum(r["seconds"] for r in runs),
        "runs": runs,
        "resources": first["resources"],
        "series": first["series"],
        "latency": first["latency"],
    }
    for key in ("qps", "audio_s_per_s", "chars_per_s"):
        out[key] = sum(r[key] for r in runs) / len(runs)
    if "workload" in first:
        out["workload"] = first["workload"]
    return out


def _progress(name: str, stage: dict[str, Any]) -> None:
    errors = ", ".join(f"{k} {v}" for k, v in stage["statuses"].items() if v)
    print(
        f"{name} {stage['users']:>3} users: {stage['qps']:.2f} req/s, "
        f"goodput {stage['goodput_audio_s_per_s']:.1f} audio s/s, "
        f"p50 {stage['latency']['p50']:.3f} s, p99 {stage['latency']['p99']:.3f} s, "
        f"errors {stage['error_rate']:.1%}{' (' + errors + ')' if errors else ''}",
        flush=True,
    )


async def run(config: RunConfig) -> dict[str, Any]:
    """Measure everything ``config.targets`` names at ``config.slowdown`` with
    ``config.workload``; returns the raw results of this section of the run.

    Stages are interleaved (every target at 10 users, then every target at 30...) and the raw
    capacity is measured half before and half after, so that a slow drift in the machine's
    speed (other work starting or ending) spreads over all targets instead of one. The
    generator's overhead, when asked for, is measured first, never slowed down.
    """
    results: dict[str, Any] = {
        "slowdown": config.slowdown,
        "workload": config.workload,
        "title": f"{SPEED_TITLES[config.slowdown]}, {config.workload} workload",
        "targets": {},
    }
    targets = [t for name, t in TARGETS.items() if name in config.targets]
    if "overhead" in config.targets:
        results["overhead"] = await measure_overhead(replace(config, slowdown="none"))
    raw_runs = []
    if "raw" in config.targets:
        raw_runs.append(await _raw_once(config, config.profile.raw_seconds / 2))
    for target in targets:
        results["targets"][target.name] = {
            "title": target.title,
            "stream": target.stream,
            "stages": [],
        }
    for users in config.users:
        for target in targets:
            stage = await measure_stage(target, users, config)
            _progress(f"[{config.section}] {target.name}", stage)
            results["targets"][target.name]["stages"].append(stage)
    if "raw" in config.targets:
        raw_runs.append(await _raw_once(config, config.profile.raw_seconds / 2))
        results["raw"] = combine_raw(raw_runs)
    return results


async def run_all(
    config: RunConfig, slowdowns: tuple[str, ...], workloads: tuple[str, ...]
) -> dict[str, Any]:
    """Every section: each workload at each speed (``config.slowdown`` and ``config.workload``
    are replaced), the generator's overhead once, first. Returns ``{"sections": [...]}`` plus
    ``overhead`` when ``config.targets`` asks for it."""
    results: dict[str, Any] = {"sections": []}
    first = True
    for workload in workloads:
        for slowdown in slowdowns:
            targets = (
                config.targets if first else tuple(t for t in config.targets if t != "overhead")
            )
            section = await run(
                replace(config, targets=targets, slowdown=slowdown, workload=workload)
            )
            if "overhead" in section:
                results["overhead"] = section.pop("overhead")
            results["sections"].append(section)
            first = False
    return results
