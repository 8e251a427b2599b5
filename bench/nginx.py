"""Load benchmark through nginx: N replicas behind the example config vs one replica.

    .venv/bin/python bench/nginx.py                              # quick profile's stages
    .venv/bin/python bench/nginx.py --users 50 --seconds 10 --topologies nginx-2x1,direct-1x2

The same closed-loop generator and corpus as ``bench/load.py`` (``loadgen.client``), against
topologies with the same number of synthesis processes in all:

- ``nginx-2x1``: two replicas with one worker each behind nginx (deploy/nginx/voxserve.conf);
- ``direct-1x2``: one replica with two workers, no proxy (what ``bench/load.py`` measures);
- ``nginx-1x2``: that replica behind nginx (what the proxy alone costs).

Each topology is started once and warmed up before every stage; the machine's CPU use by
others during each stage is reported beside the figures (``other_cpu_pct``: % of one core).
The report is JSON on standard output and in ``--out``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]

from tests.deploy.proxy import NginxProcess  # noqa: E402
from tests.support.server import ServerProcess  # noqa: E402

from loadgen.client import LoadSpec, run_stage  # noqa: E402
from loadgen.procstat import CLOCK_TICKS, cpu_ticks, system_busy_ticks, tree  # noqa: E402
from loadgen.runner import PROFILES  # noqa: E402
from loadgen.stats import stage_stats  # noqa: E402

TOPOLOGIES = {"nginx-2x1": (2, 1, True), "direct-1x2": (1, 2, False), "nginx-1x2": (1, 2, True)}
"""name: (replicas, workers per replica, behind nginx)."""


@contextlib.contextmanager
def topology(name: str, env: dict[str, str]) -> Iterator[tuple[str, list[int]]]:
    """Start ``name``; yields its URL and the root pids of its processes."""
    replicas, workers, proxied = TOPOLOGIES[name]
    servers = [ServerProcess(env, workers=workers) for _ in range(replicas)]
    proxy: NginxProcess | None = None
    try:
        with ThreadPoolExecutor(replicas) as pool:
            list(pool.map(lambda s: s.start(timeout=180), servers))
        pids = [s.process.pid for s in servers if s.process is not None]
        url = servers[0].url
        if proxied:
            proxy = NginxProcess([f"127.0.0.1:{s.port}" for s in servers]).start()
            assert proxy.process is not None
            url, pids = proxy.url, [*pids, proxy.process.pid]
        yield url, pids
    finally:
        if proxy is not None:
            proxy.stop()
        for server in servers:
            server.stop()


def _ticks(roots: list[int]) -> int:
    return sum(cpu_ticks(pid) or 0 for root in roots for pid in tree(root))


async def measure(url: str, pids: list[int], users: int, seconds: float) -> dict[str, Any]:
    """Warm up, then one closed-loop stage of ``users`` for ``seconds``."""
    await run_stage(LoadSpec(url, users=4, seconds=3.0, timeout=30.0))
    ours_before = _ticks(pids) + (cpu_ticks(os.getpid()) or 0)
    busy_before, total_before = system_busy_ticks()
    started = time.monotonic()
    run = await run_stage(LoadSpec(url, users, seconds, seed=users))
    wall = time.monotonic() - started
    ours = (_ticks(pids) + (cpu_ticks(os.getpid()) or 0) - ours_before) / CLOCK_TICKS
    busy, total = system_busy_ticks()
    cores = os.cpu_count() or 1
    machine = cores * (busy - busy_before) / max(1, total - total_before) * wall
    stats = stage_stats(run.samples, users, seconds, run.in_flight_at_end).to_json()
    return {
        "users": users,
        "qps": round(stats["qps"], 3),
        "p50_s": round(stats["latency"]["p50"], 3),
        "p95_s": round(stats["latency"]["p95"], 3),
        "p99_s": round(stats["latency"]["p99"], 3),
        "error_rate": round(stats["error_rate"], 4),
        "errors": stats["errors"],
        "cpu_pct": round(100 * ours / wall, 1),
        "other_cpu_pct": round(max(0.0, 100 * (machine - ours) / wall), 1),
    }


async def main_async(args: argparse.Namespace) -> dict[str, Any]:
    env = {
        "VOXSERVE_ENGINES": args.engines,
        "VOXSERVE_ENGINE_THREADS": "1",
        "VOXSERVE_MAX_QUEUE_WAIT_S": "5",
        # As bench/load.py: replicas plan admissions for the clients' 10 s timeout.
        "VOXSERVE_REQUEST_TIMEOUT_S": "10",
        "VOXSERVE_CACHE_BACKEND": "off",
    }
    report: dict[str, Any] = {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "cores": os.cpu_count(),
        "env": env,
        "stage_seconds": args.seconds,
        "loadavg_before": os.getloadavg(),
        "topologies": {},
    }
    for name in args.topologies:
        with topology(name, env) as (url, pids):
            stages = []
            for users in args.users:
                stage = await measure(url, pids, users, args.seconds)
                print(name, json.dumps(stage), flush=True)
                stages.append(stage)
        report["topologies"][name] = stages
    report["loadavg_after"] = os.getloadavg()
    return report


def main() -> None:
    quick = PROFILES["quick"]
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--topologies", default="nginx-2x1,direct-1x2", help="comma-separated")
    parser.add_argument("--users", default=",".join(map(str, quick.users)))
    parser.add_argument("--seconds", type=float, default=quick.stage_seconds)
    parser.add_argument("--engines", default="baker-zh")
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    args.topologies = [t for t in args.topologies.split(",") if t]
    unknown = set(args.topologies) - set(TOPOLOGIES)
    if unknown:
        raise SystemExit(f"unknown topologies: {sorted(unknown)}; known: {sorted(TOPOLOGIES)}")
    args.users = [int(u) for u in args.users.split(",")]
    report = asyncio.run(main_async(args))
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
