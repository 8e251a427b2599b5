"""Load benchmark: voxserve against the study's Flask and FastAPI servers and the raw engine.

    .venv/bin/python bench/load.py --profile quick     # every target, under 10 minutes
    .venv/bin/python bench/load.py --profile full      # one-minute stages
    .venv/bin/python bench/load.py --targets voxserve,raw --users 10,50 --seconds 10
    .venv/bin/python bench/load.py --slowdown none,half --workload emotional

Closed-loop virtual users (10, 30, 50, 100) send the Mandarin corpus to each server in turn,
every server with the same engine and the same number of synthesis processes; the report
(JSON, Markdown, PNG plots) goes to ``bench/results/<timestamp>/``. ``--slowdown half`` runs
every target and the raw capacity beside CPU-burning neighbours (half the machine);
``--workload emotional`` gives every second request an emotion. Several values of either
give one report with a section for each combination. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import shlex
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]

from loadgen import report  # noqa: E402
from loadgen.corpus import describe  # noqa: E402
from loadgen.runner import PROFILES, Profile, RunConfig, run_all  # noqa: E402
from loadgen.slowdown import SLOWDOWNS, method, probe_cgroup_v2  # noqa: E402
from loadgen.targets import TARGETS, Launch  # noqa: E402
from loadgen.workload import WORKLOADS, parse_list  # noqa: E402

ALL_TARGETS = ("overhead", "raw", *TARGETS)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--profile", choices=sorted(PROFILES), default="quick")
    parser.add_argument("--targets", default=",".join(ALL_TARGETS), help="comma-separated")
    parser.add_argument("--users", help="comma-separated stages (default: 10,30,50,100)")
    parser.add_argument("--seconds", type=float, help="stage and raw-capacity length")
    parser.add_argument("--workers", type=int, default=2, help="synthesis processes per server")
    parser.add_argument(
        "--timeout",
        type=float,
        default=10.0,
        help="client timeout (s), also the deadline of goodput and voxserve's request deadline",
    )
    parser.add_argument(
        "--slowdown",
        default="none",
        help="comma-separated speeds, each a section of the report: none (the machine as it "
        "is), half (a CPU-burning neighbour pinned to every core beside every target and the "
        "raw capacity); e.g. none,half",
    )
    parser.add_argument(
        "--neighbour-nice",
        type=int,
        help="niceness of the CPU neighbours of --slowdown half (default: the synthesis "
        "processes' VOXSERVE_WORKER_NICE, 5, which splits each core in half)",
    )
    parser.add_argument(
        "--workload",
        default="neutral",
        help="comma-separated workloads, each a section of the report: neutral, emotional "
        "(every second request with an emotion, cycling through all six at intensity 1)",
    )
    parser.add_argument("--engines", default="baker-zh", help="VOXSERVE_ENGINES of every target")
    parser.add_argument("--voice", help="default voice of every target (VOXSERVE_DEFAULT_VOICE)")
    parser.add_argument(
        "--queue-wait",
        type=float,
        default=5.0,
        help="voxserve's VOXSERVE_MAX_QUEUE_WAIT_S: refuse (429) rather than queue past it",
    )
    parser.add_argument("--out", type=Path, help="report directory (default bench/results/<ts>)")
    parser.add_argument("--logs", type=Path, help="keep every server's log in this directory")
    parser.add_argument(
        "--rewrite", type=Path, metavar="DIR", help="redo summary and plots of DIR/report.json"
    )
    return parser


def _profile(args: argparse.Namespace) -> Profile:
    base = PROFILES[args.profile]
    if args.seconds is None:
        return base
    return Profile(base.name, args.seconds, args.seconds, min(base.overhead_seconds, args.seconds))


def config_from(args: argparse.Namespace) -> RunConfig:
    """The run configuration the command line asks for."""
    targets = tuple(t.strip() for t in args.targets.split(",") if t.strip())
    unknown = set(targets) - set(ALL_TARGETS)
    if unknown:
        raise SystemExit(f"unknown targets: {', '.join(sorted(unknown))}; known: {ALL_TARGETS}")
    profile = _profile(args)
    users = tuple(int(u) for u in args.users.split(",")) if args.users else profile.users
    # One engine thread and voxserve's default worker niceness for every synthesis process.
    env = {
        "VOXSERVE_ENGINES": args.engines,
        "VOXSERVE_ENGINE_THREADS": "1",
        "VOXSERVE_WORKER_NICE": "5",
    }
    if args.voice:
        env["VOXSERVE_DEFAULT_VOICE"] = args.voice
    voxserve_env = {
        "VOXSERVE_MAX_QUEUE_WAIT_S": f"{args.queue_wait:g}",
        # The clients give up after --timeout: the server plans admissions for that deadline.
        "VOXSERVE_REQUEST_TIMEOUT_S": f"{args.timeout:g}",
        # The baselines cache nothing: neither may voxserve, or it would time a cache.
        "VOXSERVE_CACHE_BACKEND": "off",
    }
    if args.logs:
        args.logs.mkdir(parents=True, exist_ok=True)
    launch = Launch(args.workers, env, voxserve_env)
    nice = int(env["VOXSERVE_WORKER_NICE"]) if args.neighbour_nice is None else args.neighbour_nice
    return RunConfig(profile, targets, launch, users, args.timeout, args.logs, neighbour_nice=nice)


def sections_from(args: argparse.Namespace) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The speeds and workloads the command line asks for."""
    try:
        slowdowns = parse_list(args.slowdown, tuple(SLOWDOWNS), "--slowdown")
        workloads = parse_list(args.workload, WORKLOADS, "--workload")
    except ValueError as error:
        raise SystemExit(str(error)) from None
    return slowdowns, workloads


def _machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory_kib = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kib = int(line.split()[1])
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "usable_cores": len(os.sched_getaffinity(0)),
        "memory_gib": memory_kib / 1024 / 1024,
        "system": platform.platform(),
        "python": platform.python_version(),
    }


def _versions() -> dict[str, str]:
    names = ("voxserve", "aiohttp", "fastapi", "uvicorn", "flask", "gunicorn", "onnxruntime")
    found = {}
    for name in names:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = "not installed"
    return found


def _loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def meta(
    config: RunConfig,
    argv: list[str],
    slowdowns: tuple[str, ...] = ("none",),
    workloads: tuple[str, ...] = ("neutral",),
) -> dict[str, Any]:
    """What the run was and where it ran (load averages and wall time are added at the end)."""
    nice = config.neighbour_nice
    return {
        "started": time.strftime("%Y-%m-%d %H:%M:%S %Z"),
        "command": shlex.join([".venv/bin/python", "bench/load.py", *argv]),
        "profile": config.profile.name,
        "targets": list(config.targets),
        "users": list(config.users),
        "stage_seconds": config.profile.stage_seconds,
        "raw_seconds": config.profile.raw_seconds,
        "timeout": config.timeout,
        "deadline_s": config.timeout,
        "slowdowns": list(slowdowns),
        "slowdown_methods": {s: method(s, nice) for s in slowdowns},
        "cgroup_v2": probe_cgroup_v2() if any(SLOWDOWNS[s] for s in slowdowns) else None,
        "workloads": list(workloads),
        "workers": config.launch.workers,
        "engines": config.launch.env["VOXSERVE_ENGINES"],
        "engine_threads": int(config.launch.env["VOXSERVE_ENGINE_THREADS"]),
        "env": dict(config.launch.env),
        "voxserve_env": dict(config.launch.voxserve_env),
        "corpus": describe(),
        "machine": _machine(),
        "versions": _versions(),
        "loadavg_before": _loadavg(),
    }


def main(argv: list[str] | None = None) -> Path:
    """Run the benchmark the arguments describe; returns the report directory."""
    argv = sys.argv[1:] if argv is None else argv
    args = _parser().parse_args(argv)
    if args.rewrite:
        report.rewrite(args.rewrite)
        return Path(args.rewrite)
    config = config_from(args)
    slowdowns, workloads = sections_from(args)
    info = meta(config, argv, slowdowns, workloads)
    out = args.out or BENCH / "results" / time.strftime("%Y%m%d-%H%M%S")
    started = time.perf_counter()
    results = asyncio.run(run_all(config, slowdowns, workloads))
    info["loadavg_after"] = _loadavg()
    info["wall_s"] = time.perf_counter() - started
    files = report.write(report.build(info, results), out)
    print(f"report: {out} ({', '.join(f.name for f in files)})", flush=True)
    return out


if __name__ == "__main__":
    main()
