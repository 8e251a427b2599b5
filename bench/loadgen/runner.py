"""A whole benchmark run: generator overhead, raw capacity, then every target stage by stage.

Each stage of each HTTP target runs on a freshly started, warmed-up server, so that no stage
inherits the backlog of the one before (a server without admission control may still be
working through abandoned requests long after their clients gave up).
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp

from .client import LoadSpec, request_once, run_stage
from .corpus import CORPUS
from .procstat import ResourceSampler
from .stats import Sample, resource_summary, stage_stats
from .targets import TARGETS, Launch, Running, Target, start_trivial

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
    log_dir: Path | None = None

    def launch_for(self, name: str, users: int) -> Launch:
        log = self.log_dir / f"{name}-{users}.log" if self.log_dir else None
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


async def _measured_stage(running: Running, spec: LoadSpec) -> dict[str, Any]:
    """Run one stage against ``running`` while sampling its process tree."""
    sampler = ResourceSampler(running.pid, interval=min(0.5, spec.seconds / 5))
    sampler.start()
    run = await run_stage(spec)
    rows = await sampler.stop()
    stats = stage_stats(run.samples, spec.users, spec.seconds, run.in_flight_at_end)
    stats.resources = resource_summary(rows, run.started_at, run.started_at + spec.seconds)
    return {
        **stats.to_json(),
        "samples": _compact(run.samples),
        "series": _relative(rows, run.started_at),
    }


async def _warm_up(url: str, workers: int, requests: int, stream: bool) -> None:
    """Every synthesis process speaks a few corpus texts before the clock starts."""
    # A generous timeout: a first request may pay for lazy initialisation.
    spec = LoadSpec(url, users=1, seconds=0.0, stream=stream, timeout=60.0)
    texts = [t for t in CORPUS if 30 <= len(t) <= 90]

    async def one(index: int) -> None:
        async with aiohttp.ClientSession() as session:
            for k in range(requests):
                text = texts[(index * requests + k) % len(texts)]
                await request_once(session, spec, text, 0.0)

    await asyncio.gather(*(one(i) for i in range(2 * workers)))


async def measure_stage(target: Target, users: int, config: RunConfig) -> dict[str, Any]:
    """One stage of one target on a fresh server."""
    launch = config.launch_for(target.name, users)
    running = await asyncio.to_thread(target.start, launch)
    try:
        workers, profile = launch.workers, config.profile
        await _warm_up(running.url, workers, profile.warmup_requests, target.stream)
        spec = LoadSpec(
            running.url,
            users,
            profile.stage_seconds,
            timeout=config.timeout,
            stream=target.stream,
            seed=users,
        )
        return await _measured_stage(running, spec)
    finally:
        await asyncio.to_thread(running.stop)


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
    env = {**os.environ, **config.launch.env}
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
    print(f"raw: {raw['qps']:.2f} req/s, {raw['audio_s_per_s']:.1f} audio s/s", flush=True)
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
    return out


def _progress(name: str, stage: dict[str, Any]) -> None:
    errors = ", ".join(f"{k} {v}" for k, v in stage["errors"].items() if v)
    print(
        f"{name} {stage['users']:>3} users: {stage['qps']:.2f} req/s, "
        f"p50 {stage['latency']['p50']:.3f} s, p99 {stage['latency']['p99']:.3f} s, "
        f"errors {stage['error_rate']:.1%}{' (' + errors + ')' if errors else ''}",
        flush=True,
    )


async def run(config: RunConfig) -> dict[str, Any]:
    """Measure everything ``config.targets`` names; returns the raw results of the run.

    Stages are interleaved (every target at 10 users, then every target at 30...) and the raw
    capacity is measured half before and half after, so that a slow drift in the machine's
    speed (other work starting or ending) spreads over all targets instead of one.
    """
    results: dict[str, Any] = {"targets": {}}
    targets = [t for name, t in TARGETS.items() if name in config.targets]
    if "overhead" in config.targets:
        results["overhead"] = await measure_overhead(config)
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
            _progress(target.name, stage)
            results["targets"][target.name]["stages"].append(stage)
    if "raw" in config.targets:
        raw_runs.append(await _raw_once(config, config.profile.raw_seconds / 2))
        results["raw"] = combine_raw(raw_runs)
    return results
