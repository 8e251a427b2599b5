"""Throughput at saturation, without a time window: the same batch of requests, voxserve against
the baselines, and each server's CPU per second of audio.

    .venv/bin/python bench/saturation.py [--requests 60] [--clients 10] [--rounds 6]
        [--workload neutral,emotional] [--targets voxserve,flask] [--json out.json]

Every server is started once, as the load benchmark starts it (``bench/loadgen/targets.py``:
2 synthesis processes, one engine thread, voxserve's cache off and its 10-s deadline). Each round
sends one batch of ``--requests`` texts of the load benchmark's corpus (and workload) to each
server in turn, from ``--clients`` clients that take the next text of the batch as soon as their
answer is whole, so the batch ends when the server has spoken all of it. The order of the servers
alternates from round to round. A round reports the audio seconds per second of wall time, and
the CPU seconds (user and system) of the server's whole process tree per second of audio.

The load benchmark's stages are 15-s windows on a fresh server, so what is in flight when a
window closes is lost and counts against the server whose work is unfinished then; at 10 users
one answer is about 2% of a stage. Here the whole batch counts, which measures what the
scheduler and the front process cost, or gain, against a server that has neither. A refusal
(429) is retried after its ``Retry-After`` and counted.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import sys
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import aiohttp

BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(BENCH), str(BENCH.parent)]

from loadgen.client import LoadSpec, payload, wav_seconds  # noqa: E402
from loadgen.procstat import CLOCK_TICKS, cpu_ticks, tree  # noqa: E402
from loadgen.targets import TARGETS, Launch, Running  # noqa: E402
from loadgen.workload import WORKLOADS, parse_list, request_stream  # noqa: E402

ENV = {"VOXSERVE_ENGINES": "baker-zh", "VOXSERVE_ENGINE_THREADS": "1", "VOXSERVE_WORKER_NICE": "5"}
VOXSERVE_ENV = {
    "VOXSERVE_CACHE_BACKEND": "off",
    "VOXSERVE_MAX_QUEUE_WAIT_S": "5",
    "VOXSERVE_REQUEST_TIMEOUT_S": "10",
}


@dataclass(frozen=True)
class Round:
    """One batch through one server."""

    audio_s_per_s: float
    cpu_ms_per_audio_s: float
    """The whole process tree's CPU (front process and synthesis processes)."""
    root_cpu_ms_per_audio_s: float
    """Its root process's share: voxserve's server process, gunicorn's master (idle), the
    FastAPI baseline's uvicorn process."""
    seconds: float
    refusals: int


def cpu_ticks_of(root: int) -> tuple[int, int]:
    """CPU clock ticks so far of ``root`` and its live descendants, and of ``root`` alone (read
    once each, so that the second is never more than the first)."""
    ticks = {pid: cpu_ticks(pid) or 0 for pid in tree(root)}
    return sum(ticks.values()), ticks.get(root, 0)


async def one_round(server: Running, batch: list[tuple[str, str | None]], clients: int) -> Round:
    """Send ``batch`` through ``server`` from ``clients`` clients sharing it as a queue."""
    queue = list(reversed(batch))
    spec = LoadSpec(url=server.url, users=clients, seconds=0.0)
    audio, refusals = 0.0, 0

    async def client(session: aiohttp.ClientSession) -> None:
        nonlocal audio, refusals
        while queue:
            text, emotion = queue.pop()
            while True:
                async with session.post(
                    server.url + "/v1/tts", json=payload(spec, text, emotion)
                ) as response:
                    data = await response.read()
                    if response.status != 429:
                        break
                    refusals += 1
                    await asyncio.sleep(float(response.headers.get("Retry-After", "1")))
            if response.status != 200:
                raise RuntimeError(f"{server.url}: {response.status} {data[:200]!r}")
            audio += wav_seconds(data)

    (cpu, root), started = cpu_ticks_of(server.pid), time.perf_counter()
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) as session:
        await asyncio.gather(*(client(session) for _ in range(clients)))
    seconds = time.perf_counter() - started
    cpu_end, root_end = cpu_ticks_of(server.pid)
    per_audio_s = 1000 / CLOCK_TICKS / audio  # ticks -> ms of CPU per second of audio
    return Round(
        audio / seconds,
        (cpu_end - cpu) * per_audio_s,
        (root_end - root) * per_audio_s,
        seconds,
        refusals,
    )


async def measure(args: argparse.Namespace, workload: str) -> dict[str, Any]:
    """Every target through ``args.rounds`` batches of ``workload`` (plus one to warm up)."""
    launch = Launch(2, ENV, VOXSERVE_ENV)
    servers: dict[str, Running] = {}
    try:
        for name in args.targets:
            servers[name] = TARGETS[name].start(launch)
        rounds: dict[str, list[Round]] = {name: [] for name in servers}
        for index in range(args.rounds + 1):
            stream = request_stream(index, workload)
            batch = [next(stream) for _ in range(args.requests)]
            order = list(servers) if index % 2 else list(servers)[::-1]
            for name in order:
                result = await one_round(servers[name], batch, args.clients)
                if index:  # the first round warms up each server
                    rounds[name].append(result)
                    print(f"{workload} round {index} {name}: {_line(result)}", flush=True)
    finally:
        for server in servers.values():
            server.stop()
    return _summary(rounds)


def _summary(rounds: dict[str, list[Round]]) -> dict[str, Any]:
    """Medians per target, and voxserve's throughput over each other target's, round by round
    (the same batch, one server after the other: a paired ratio)."""
    targets = {
        name: {
            "median_audio_s_per_s": statistics.median(r.audio_s_per_s for r in rows),
            "median_cpu_ms_per_audio_s": statistics.median(r.cpu_ms_per_audio_s for r in rows),
            "median_root_cpu_ms_per_audio_s": statistics.median(
                r.root_cpu_ms_per_audio_s for r in rows
            ),
            "refusals": sum(r.refusals for r in rows),
            "rounds": [asdict(r) for r in rows],
        }
        for name, rows in rounds.items()
    }
    ours = rounds.get("voxserve", [])
    over: dict[str, Any] = {}
    for name, rows in rounds.items():
        if name != "voxserve" and ours:
            ratios = [a.audio_s_per_s / b.audio_s_per_s for a, b in zip(ours, rows, strict=True)]
            over[name] = {"median": statistics.median(ratios), "rounds": ratios}
    return {"targets": targets, "voxserve_throughput_over": over}


def _line(row: Round) -> str:
    return (
        f"{row.audio_s_per_s:.2f} audio s/s, {row.cpu_ms_per_audio_s:.2f} ms CPU per audio "
        f"second (root process {row.root_cpu_ms_per_audio_s:.2f}), {row.seconds:.1f} s, "
        f"{row.refusals} refused"
    )


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=60, help="texts per batch")
    parser.add_argument("--clients", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--workload", default="neutral,emotional", help="comma-separated")
    parser.add_argument("--targets", default="voxserve,flask", help="voxserve first")
    parser.add_argument("--json", type=Path, help="also write the results here")
    return parser


def main() -> None:
    args = _parser().parse_args()
    args.targets = parse_list(args.targets, ("voxserve", "flask", "fastapi"), "--targets")
    workloads = parse_list(args.workload, WORKLOADS, "--workload")
    results = {w: asyncio.run(measure(args, w)) for w in workloads}
    for workload, summary in results.items():
        for name, row in summary["targets"].items():
            ratio = summary["voxserve_throughput_over"].get(name)
            paired = f"; voxserve / {name}: {ratio['median']:.3f}" if ratio else ""
            print(
                f"{workload} {name} (median of {args.rounds}): "
                f"{row['median_audio_s_per_s']:.2f} audio s/s, "
                f"{row['median_cpu_ms_per_audio_s']:.2f} ms CPU per audio second (root "
                f"{row['median_root_cpu_ms_per_audio_s']:.2f}){paired}"
            )
    if args.json:
        meta = {k: getattr(args, k) for k in ("requests", "clients", "rounds", "targets")}
        meta["workers"], meta["env"], meta["voxserve_env"] = 2, ENV, VOXSERVE_ENV
        args.json.write_text(json.dumps({"meta": meta, "results": results}, indent=1) + "\n")


if __name__ == "__main__":
    main()
